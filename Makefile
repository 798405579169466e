# Two commands for a newcomer: `make demo` and `make test`. Both create .venv on first use.
# `make bench` measures what the pack adds to checkov and cfn-lint (about 35 minutes; see README, Performance);
# `make bench-instructions` counts instructions under valgrind instead, the same on every run (about 20 minutes).
# `make corpus` judges the real applications of ../shared/corpus (or $$HOPLINT_CORPUS) against their labels
# (a few minutes; see corpus/measure.py).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export CKV_SKIP_PACKAGE_UPDATE_CHECK := true
export BC_SKIP_MAPPING := TRUE

.PHONY: install demo test bench bench-instructions corpus clean

install: $(STAMP)

$(STAMP): setup.cfg setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[checkov,cfn-lint,test]'
	touch $(STAMP)

CHECKOV_WITH_PACK := $(BIN)/checkov --skip-download --compact \
	--external-checks-dir custom_checks/checkov --check 'CKV_HOP_*'
CFN_LINT_WITH_PACK := $(BIN)/cfn-lint --append-rules custom_checks/cfn_lint --
DEMO_OUT := $(VENV)/demo
DEMO_APPLICATION := fixtures/cloudformation-applications/bad/HOP303-network-stack-task-sg-wrong-port
DEMO_APPLICATION_TEMPLATES := parent.yaml infra/network.yaml services/web.yaml
# One run of the demo: the output of command $(2) is kept in $(DEMO_OUT)/$(1).txt for the summary, and shown
# whole, or only its summary lines for good fixtures ($(4)). An exit code other than the one test $(3) expects
# stops the demo: on bad fixtures, finding broken hops is what the run is for. checkov and hoplint explain exit
# 1 for a broken hop; cfn-lint exits with the bits of the levels it found (2 error, 4 warning, 8
# informational), other bits are its own failures.
NOTHING_FOUND = [ $$status -eq 0 ]
FOUND_BY_CHECKOV = [ $$status -eq 1 ]
FOUND_BY_CFN_LINT = [ $$status -ne 0 ] && [ $$(( status & ~14 )) -eq 0 ]
define demo_run
$(2) > $(DEMO_OUT)/$(1).txt 2>&1; status=$$?; grep -E '$(or $(4),.*)' $(DEMO_OUT)/$(1).txt; $(3) || { echo "demo: $(1) exited $$status"; exit 1; }
endef
# The number of failed checks a checkov output counts, summed over its frameworks' summaries; the number of
# hoplint's matches in a cfn-lint output.
failed_checks = $$(sed -n 's/.*Failed checks: \([0-9]*\).*/\1/p' $(DEMO_OUT)/$(1).txt | awk '{n += $$1} END {print n + 0}')
hoplint_matches = $$(grep -cE '^[EW]9[0-9]{3} ' $(DEMO_OUT)/$(1).txt)

demo: install
	@rm -rf $(DEMO_OUT) && mkdir -p $(DEMO_OUT)
	@echo "== checkov + hoplint, CloudFormation good fixtures: every hop proved, nothing failed =="
	@$(call demo_run,checkov-cloudformation-good,$(CHECKOV_WITH_PACK) --framework cloudformation -d fixtures/cloudformation/good,$(NOTHING_FOUND),checks:)
	@echo "== checkov + hoplint, CloudFormation bad fixtures: each breaks the rule its name says =="
	@$(call demo_run,checkov-cloudformation,$(CHECKOV_WITH_PACK) --framework cloudformation --quiet -d fixtures/cloudformation/bad,$(FOUND_BY_CHECKOV))
	@echo "== cfn-lint + hoplint, CloudFormation good fixtures (no output: nothing to fix) =="
	@$(call demo_run,cfn-lint-good,$(CFN_LINT_WITH_PACK) 'fixtures/cloudformation/good/*.yaml' 'fixtures/cloudformation/good/*.json',$(NOTHING_FOUND))
	@echo "== cfn-lint + hoplint, CloudFormation bad fixtures =="
	@$(call demo_run,cfn-lint,$(CFN_LINT_WITH_PACK) 'fixtures/cloudformation/bad/*.yaml' 'fixtures/cloudformation/bad/*.json',$(FOUND_BY_CFN_LINT))
	@echo "== checkov + hoplint, Terraform good configurations: nothing failed =="
	@$(call demo_run,checkov-terraform-good,$(CHECKOV_WITH_PACK) --framework terraform -d fixtures/terraform/good,$(NOTHING_FOUND),checks:)
	@echo "== checkov + hoplint, Terraform bad configurations =="
	@$(call demo_run,checkov-terraform,$(CHECKOV_WITH_PACK) --framework terraform --quiet -d fixtures/terraform/bad,$(FOUND_BY_CHECKOV))
	@echo "== checkov + hoplint, Terraform plan (terraform show -json) of a change that breaks HOP303 =="
	@$(call demo_run,checkov-plan,$(CHECKOV_WITH_PACK) --framework terraform_plan --quiet -f fixtures/terraform/plan/bad.json,$(FOUND_BY_CHECKOV))
	@echo "== checkov + hoplint, an application of nested stacks whose network stack breaks HOP303 =="
	@$(call demo_run,checkov-application,$(CHECKOV_WITH_PACK) --framework cloudformation --quiet -d $(DEMO_APPLICATION),$(FOUND_BY_CHECKOV))
	@echo "== cfn-lint + hoplint, the same application's templates: the line to change, in the network stack =="
	@$(call demo_run,cfn-lint-application,$(CFN_LINT_WITH_PACK) $(addprefix $(DEMO_APPLICATION)/,$(DEMO_APPLICATION_TEMPLATES)),$(FOUND_BY_CFN_LINT))
	@echo "== hoplint explain: the application's paths across its templates =="
	@$(call demo_run,explain-application,$(BIN)/hoplint explain $(DEMO_APPLICATION),$(FOUND_BY_CHECKOV))
	@echo "== hoplint explain: the paths of a bad template, each gate marked pass/FAIL/unknown =="
	@$(call demo_run,explain,$(BIN)/hoplint explain fixtures/cloudformation/bad/HOP303-task-sg-allows-wrong-port.yaml,$(FOUND_BY_CHECKOV))
	@echo "== What hoplint caught: every bad fixture breaks the rule its name says, every good one nothing =="
	@echo "  checkov, CloudFormation:   $(call failed_checks,checkov-cloudformation) failed checks in the bad fixtures, $(call failed_checks,checkov-cloudformation-good) in the good ones"
	@echo "  cfn-lint, CloudFormation:  $(call hoplint_matches,cfn-lint) findings at their lines in the bad fixtures, $(call hoplint_matches,cfn-lint-good) in the good ones"
	@echo "  checkov, Terraform:        $(call failed_checks,checkov-terraform) failed checks in the bad configurations, $(call failed_checks,checkov-terraform-good) in the good ones"
	@echo "  checkov, Terraform plan:   $(call failed_checks,checkov-plan) failed check"
	@echo "  an application of stacks:  checkov $(call failed_checks,checkov-application) failed check, cfn-lint $(call hoplint_matches,cfn-lint-application) finding, explain: $$(tail -n 1 $(DEMO_OUT)/explain-application.txt)"
	@echo "  hoplint explain:           $$(tail -n 1 $(DEMO_OUT)/explain.txt)"

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/bench.py

bench-instructions: install
	$(BIN)/python benchmarks/bench.py --instructions

corpus: install
	$(BIN)/python corpus/measure.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
