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

demo: install
	@echo "== checkov + hoplint, CloudFormation good fixtures: every hop proved, nothing failed =="
	@$(CHECKOV_WITH_PACK) --framework cloudformation -d fixtures/cloudformation/good | grep -E 'checks:' ; true
	@echo "== checkov + hoplint, CloudFormation bad fixtures: each breaks the rule its name says =="
	-@$(CHECKOV_WITH_PACK) --framework cloudformation --quiet -d fixtures/cloudformation/bad
	@echo "== cfn-lint + hoplint, CloudFormation good fixtures (no output: nothing to fix) =="
	@$(CFN_LINT_WITH_PACK) 'fixtures/cloudformation/good/*.yaml' 'fixtures/cloudformation/good/*.json'
	@echo "== cfn-lint + hoplint, CloudFormation bad fixtures =="
	-@$(CFN_LINT_WITH_PACK) 'fixtures/cloudformation/bad/*.yaml' 'fixtures/cloudformation/bad/*.json'
	@echo "== checkov + hoplint, Terraform good configurations: nothing failed =="
	@$(CHECKOV_WITH_PACK) --framework terraform -d fixtures/terraform/good | grep -E 'checks:' ; true
	@echo "== checkov + hoplint, Terraform bad configurations =="
	-@$(CHECKOV_WITH_PACK) --framework terraform --quiet -d fixtures/terraform/bad
	@echo "== checkov + hoplint, Terraform plan (terraform show -json) of a change that breaks HOP303 =="
	-@$(CHECKOV_WITH_PACK) --framework terraform_plan --quiet -f fixtures/terraform/plan/bad.json
	@echo "== hoplint explain: the paths of a bad template, each gate marked pass/FAIL/unknown =="
	-@$(BIN)/hoplint explain fixtures/cloudformation/bad/HOP303-task-sg-allows-wrong-port.yaml

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
