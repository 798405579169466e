# Two commands for a newcomer: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export CKV_SKIP_PACKAGE_UPDATE_CHECK := true
export BC_SKIP_MAPPING := TRUE

.PHONY: install demo test clean

install: $(STAMP)

$(STAMP): setup.cfg setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[checkov,cfn-lint,test]'
	touch $(STAMP)

demo: install
	@echo "== checkov + hoplint on fixtures/cloudformation (failed checks only) =="
	-$(BIN)/checkov -d fixtures/cloudformation --framework cloudformation --skip-download --compact --quiet \
		--external-checks-dir custom_checks/checkov --check 'CKV_HOP_*'
	@echo
	@echo "== cfn-lint + hoplint on fixtures/cloudformation =="
	-$(BIN)/cfn-lint --append-rules custom_checks/cfn_lint --include-checks I -- \
		'fixtures/cloudformation/**/*.yaml' 'fixtures/cloudformation/**/*.json'

test: install
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
