# virtualis.aurora developer entry points. `make demo` and `make test` are all a fresh clone needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

ROOT        := $(abspath .)
VENV        := $(ROOT)/.venv
PY          := $(VENV)/bin/python
# The Python of .venv: 3.13 (pyenv's, as on CI's clean machine; else python3.13 on PATH), else python3.
# ansible-core 2.21 needs 3.12-3.14; `make venv` says so when BASE_PYTHON is older. Chosen here, before
# .venv/bin goes on PATH.
ifndef BASE_PYTHON
BASE_PYTHON := $(firstword $(wildcard $(or $(PYENV_ROOT),$(HOME)/.pyenv)/versions/3.13.*/bin/python3.13) \
                 $(shell command -v python3.13) python3)
endif
COLL_LINK   := .collections/ansible_collections/virtualis/aurora
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(ROOT)/ansible.cfg
export LAB_REQUIRED ?= 1
# `make compat`: CORE = the ansible-core minors ("all" or a list), COMPAT_UNIT / COMPAT_SANITY = those that
# run the unit tests / sanity, COMPAT_FULL_SANITY = those that run every sanity test (others: compile, import,
# validate-modules), COMPAT_PYTEST_ARGS = extra pytest arguments. `make compat-ci` (in `make test`, beside the lab) leaves
# out .venv's minor (make unit and make sanity test it) and runs COMPAT_CI_UNIT / COMPAT_CI_FULL_SANITY.
CORE                 ?= all
COMPAT_UNIT          ?= all
COMPAT_SANITY        ?= all
COMPAT_FULL_SANITY   ?= all
COMPAT_PYTEST_ARGS   ?=
COMPAT_ARGS          ?=
COMPAT_CI_UNIT       ?= 2.17
COMPAT_CI_FULL_SANITY ?= 2.17

.PHONY: help apt venv collection-link lab-up lab-down lab-status lab-reset molecule e2e bench bench-truststore bench-bucketfs unit unit-fast sanity compat compat-ci lint ruff fmt package changelog changelog-release docs-check docs functional test demo clean

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

apt:  ## install the Debian packages the lab needs (only those missing)
	@missing=$$(grep -Ev '^\s*(#|$$)' tests/lab/apt-packages.txt | while read -r p; do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'install ok installed' || echo "$$p"; done); \
	if [ -n "$$missing" ]; then \
	  echo "apt: installing $$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "apt: run as root (or install: $$missing)" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "apt: all lab packages present"; fi

# .venv/.stamp holds BASE_PYTHON's version and the requirements' checksum: when either differs, .venv is
# made anew (never a venv of another Python; nothing left over from older requirements).
venv: collection-link  ## create .venv with the pinned tools (again when BASE_PYTHON's version or the requirements change)
	@version=$$($(BASE_PYTHON) -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])') || exit 1; \
	case $$version in 3.1[234].*) ;; *) echo "make venv: BASE_PYTHON=$(BASE_PYTHON) is Python $$version;" \
	  "ansible-core 2.21 needs 3.12-3.14 (pyenv install 3.13, or BASE_PYTHON=...)" >&2; exit 1;; esac; \
	wanted="python $$version requirements $$(sha256sum requirements-dev.txt | cut -d' ' -f1)"; \
	if [ -x $(PY) ] && [ "$$(cat $(VENV)/.stamp 2>/dev/null)" = "$$wanted" ]; then exit 0; fi; \
	echo "make venv: $(VENV) on Python $$version ($(BASE_PYTHON)), requirements-dev.txt"; start=$$(date +%s); \
	rm -rf $(VENV) && $(BASE_PYTHON) -m venv $(VENV) \
	  && $(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt \
	  && echo "$$wanted" > $(VENV)/.stamp && echo "make venv: done in $$(( $$(date +%s) - start )) s"

collection-link:  # relinked only when it is not the link already: `make test` runs steps side by side
	@[ "$$(readlink $(COLL_LINK))" = "$(ROOT)" ] || { mkdir -p $(dir $(COLL_LINK)) && ln -sfn $(ROOT) $(COLL_LINK); }

lab-up: apt venv  ## start the local lab (moto, PostgreSQL with TLS, Exasol nodes, Exasol emulation)
	$(PY) tests/lab/lab.py up

lab-down:  ## stop every lab process and remove its mounts
	@if [ -x $(PY) ]; then $(PY) tests/lab/lab.py down; else $(BASE_PYTHON) tests/lab/lab.py down; fi

lab-status:  ## show what the lab runs
	@$(PY) tests/lab/lab.py status

unit: venv  ## unit tests (no lab)
	$(PY) -m pytest -q tests/unit

unit-fast: venv  ## the in-process unit tests only (not marked spawns): seconds, for the edit-test loop
	$(PY) -m pytest -q -m 'not spawns' tests/unit

sanity: venv  ## ansible-test sanity --venv (its own pinned tools) on a copy of the tree, no ignore file
	$(PY) tests/sanity/run.py $(SANITY_ARGS)

compat: venv  ## plugin unit tests and ansible-test sanity on each supported ansible-core, 2.17-2.21 (CORE=2.21: one)
	$(PY) tests/compat/matrix.py --core '$(CORE)' --unit '$(COMPAT_UNIT)' --sanity '$(COMPAT_SANITY)' \
	  --full-sanity '$(COMPAT_FULL_SANITY)' --pytest-args "$(COMPAT_PYTEST_ARGS)" $(COMPAT_ARGS)

compat-ci: venv  ## the short matrix: not .venv's minor; unit + full sanity on 2.17, compile/import/validate-modules on the others
	@$(MAKE) --no-print-directory compat COMPAT_UNIT='$(COMPAT_CI_UNIT)' COMPAT_FULL_SANITY='$(COMPAT_CI_FULL_SANITY)' \
	  COMPAT_ARGS=--skip-running-core

lint: venv ruff  ## ruff (make ruff), then ansible-lint, production profile, offline (config: .ansible-lint)
	@start=$$(date +%s); ansible-lint --profile production --offline --nocolor; rc=$$?; \
	  echo "lint: $$([ $$rc = 0 ] && echo passed || echo FAILED) in $$(( $$(date +%s) - start )) s"; exit $$rc

ruff: venv  ## ruff on the Python code, nothing written: lint (ruff check) and format check (ruff format --check); seconds
	@start=$$(date +%s); ruff check . && ruff format --check .; rc=$$?; \
	  echo "ruff: $$([ $$rc = 0 ] && echo passed || echo FAILED) in $$(( $$(date +%s) - start )) s"; exit $$rc

fmt: venv  ## apply ruff to the Python code: its lint fixes, then the formatter; lists what is left to fix by hand
	ruff check --fix --exit-zero --silent .
	ruff format .
	ruff check .

package: venv  ## build the collection tarball into .build/, install it in a clean venv, ansible-doc everything
	$(PY) -m pytest -q -p no:cacheprovider tests/packaging

changelog: venv  ## lint the changelog fragments (the release rendering is checked by `make package`)
	antsibull-changelog lint
	antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml

changelog-release: venv  ## cut the release of galaxy.yml's version: CHANGELOG.rst, changelog.yaml (consumes fragments)
	$(PY) docs/changelog_release.py

docs-check: venv  ## README variables tables in step with meta/argument_specs.yml (docs/gen_role_vars.py --check)
	$(PY) docs/gen_role_vars.py --check

docs: venv  ## regenerate the README variables tables from meta/argument_specs.yml
	$(PY) docs/gen_role_vars.py --write

lab-reset:  ## a fresh lab: down, state removed (new CA, keys, passwords, empty Exasol), up
	$(MAKE) lab-down
	rm -rf tests/lab/state
	$(MAKE) lab-up

# The functional tests in two streams at once, because each leaves a core idle much of the time (boto3,
# ansible-playbook and SSH wait on the lab): the AWS files (moto and PostgreSQL only, each under a deployment
# name of its own) beside the Exasol files (nodes, BucketFS, the emulators), which touch neither. Then
# test_trust_audit.py alone: it rotates the lab PostgreSQL's certificate, which the AWS smoke tests read.
FUNCTIONAL_AWS  := tests/functional/test_aws_roles.py tests/functional/test_aurora_options.py tests/functional/test_aws_teardown_checks.py
FUNCTIONAL_LAST := tests/functional/test_trust_audit.py

functional: lab-up  ## tests against the running lab (the AWS files beside the Exasol files, then the audit)
	@log=$(TEST_LOGS)/functional-aws.log; mkdir -p $(TEST_LOGS); t=$$(date +%s); \
	$(PY) -m pytest -q -p no:cacheprovider $(FUNCTIONAL_AWS) > $$log 2>&1 & aws=$$!; \
	trap 'kill $$aws 2>/dev/null' EXIT; \
	$(PY) -m pytest -q -p no:cacheprovider $(addprefix --ignore=,$(FUNCTIONAL_AWS) $(FUNCTIONAL_LAST)) tests/functional; rc=$$?; \
	wait $$aws; arc=$$?; trap - EXIT; \
	if [ $$arc = 0 ]; then echo "functional, AWS files (beside the others): $$(tail -n 1 $$log)"; \
	else echo "functional, AWS files FAILED; their log ($$log):"; cat $$log; fi; \
	[ $$rc = 0 ] && [ $$arc = 0 ] || exit 1; \
	$(PY) -m pytest -q -p no:cacheprovider $(FUNCTIONAL_LAST) || exit 1; \
	echo "functional: passed in $$(( $$(date +%s) - t )) s"

# MOLECULE_EXCLUDE: scenarios `make molecule` leaves out (`make test` sets TEST_MOLECULE_EXCLUDE, below).
MOLECULE_EXCLUDE ?=

molecule: lab-up  ## one Molecule scenario per role (delegated driver, lab hosts): converge, idempotence, verify
	@molecule reset --all >/dev/null 2>&1 || true  # forget earlier runs' prepared/converged state
	@start=$$(date +%s); molecule test --all $(foreach s,$(MOLECULE_EXCLUDE),-e $(s)); rc=$$?; \
	  echo "molecule: $$([ $$rc = 0 ] && echo passed || echo FAILED) in $$(( $$(date +%s) - start )) s"; exit $$rc

# `make e2e`: each Exasol generation of E2E_GENERATIONS on a fresh lab of its own (the default last, so
# that the lab is left on it); on a 6.x/7.x lab also the functional tests marked exasol7 (EXAoperation,
# the central store), which `make functional` on the default 2025 lab skips.
E2E_GENERATIONS ?= 7.1.26 2025

e2e: apt venv  ## site.yml end to end on each Exasol generation (E2E_GENERATIONS): -vvv leaks no secret, second run changed=0, rows read
	@start=$$(date +%s); for gen in $(E2E_GENERATIONS); do t=$$(date +%s); \
	  echo "e2e: Exasol $$gen: a fresh lab"; \
	  LAB_EXASOL_VERSION=$$gen $(MAKE) --no-print-directory lab-reset || { echo "e2e: lab-reset for Exasol $$gen FAILED"; exit 1; }; \
	  LAB_EXASOL_VERSION=$$gen $(PY) -m pytest -q tests/e2e || { echo "e2e: Exasol $$gen FAILED"; exit 1; }; \
	  if [ "$${gen%%.*}" -lt 8 ]; then LAB_EXASOL_VERSION=$$gen $(PY) -m pytest -q -m exasol7 tests/functional \
	    || { echo "e2e: Exasol $$gen functional -m exasol7 FAILED"; exit 1; }; fi; \
	  echo "e2e: Exasol $$gen passed in $$(( $$(date +%s) - t )) s"; \
	done; echo "e2e: $(E2E_GENERATIONS) passed in $$(( $$(date +%s) - start )) s"

bench-truststore: lab-up  ## benchmark: rds_truststore vs keytool loop vs java_cert, 1 node vs N (LAB_NODES)
	$(PY) tests/bench/bench_truststore.py

bench-bucketfs: lab-up  ## benchmark: exasol_bucketfs_upload vs curl -T, 200 MB, memory, rerun
	$(PY) tests/bench/bench_bucketfs_upload.py

bench: bench-truststore bench-bucketfs  ## every benchmark: figures side by side, PASS/FAIL per target (not part of `make test`)

# `make test`: the steps that need no lab (TEST_BESIDE) run one after another beside the lab's steps
# (TEST_LAB), which leave a core idle much of the time (ansible-playbook, SSH and the emulators wait on
# each other); each beside-step writes .build/test-logs/<step>.log, printed when it fails. Every step's
# time is printed; the first failure on either side names its step and fails `make test`. e2e resets
# the lab itself, once per Exasol generation. The steps beside run at a lower priority
# (TEST_BESIDE_NICE): the lab's steps are the longer chain, the ones beside fill the idle core.
TEST_BESIDE ?= unit sanity lint package docs-check changelog compat-ci
TEST_BESIDE_NICE ?= 10
TEST_LAB    ?= lab-reset functional molecule e2e
TEST_LOGS   := .build/test-logs
# Molecule scenarios whose every assertion `make functional` makes too, on the same roles against the
# same lab, so `make test` leaves their runs out (`make molecule` still runs every scenario):
# - aws_network, aurora_cluster, aws_teardown: tests/functional/test_aws_roles.py builds network and
#   cluster (check mode, real run, rerun and check mode changed=0, every resource read back, the smoke
#   test) and tears them down (check mode predicts, untagged look-alikes survive, rerun changed=0);
#   e2e runs both roles again through site.yml with the lab inventory;
# - exasol_teardown: tests/functional/test_exasol_teardown.py (build, check mode, teardown, nothing of
#   the deployment left and everything else untouched, rerun and check mode changed=0);
# - trust_audit: tests/functional/test_trust_audit.py (the healthy audit's report read back per node
#   and JVM, a second audit changed=0), on the world its fixture has just built (the scenario's prepare).
# Measured on a loaded 2-core machine: 191 + 118 + 127 + 116 + 81 s of all scenarios' 764 s.
TEST_MOLECULE_EXCLUDE ?= aws_network aurora_cluster aws_teardown exasol_teardown trust_audit

test: apt venv  ## set-up plus every test (what CI runs): the lab's steps, and beside them the steps without the lab
	@start=$$(date +%s); logs=$(TEST_LOGS); rm -rf $$logs; mkdir -p $$logs; \
	setsid nice -n $(TEST_BESIDE_NICE) bash -c 'for step in $(TEST_BESIDE); do t=$$(date +%s); \
	    if $(MAKE) --no-print-directory $$step > '$$logs'/$$step.log 2>&1; then \
	      echo "make test: $$step done in $$(( $$(date +%s) - t )) s (beside the lab; log '$$logs'/$$step.log)"; \
	    else echo "make test: $$step FAILED after $$(( $$(date +%s) - t )) s; its log:"; cat '$$logs'/$$step.log; \
	      echo $$step > '$$logs'/FAILED; exit 1; fi; done' & beside=$$!; \
	trap 'kill -- -$$beside 2>/dev/null' EXIT; \
	for step in $(TEST_LAB); do \
	  if [ -e $$logs/FAILED ]; then break; fi; \
	  t=$$(date +%s); $(MAKE) --no-print-directory $$step MOLECULE_EXCLUDE='$(TEST_MOLECULE_EXCLUDE)' \
	    || { echo "make test: $$step FAILED"; exit 1; }; \
	  echo "make test: $$step done in $$(( $$(date +%s) - t )) s"; \
	done; wait $$beside; trap - EXIT; \
	if [ -e $$logs/FAILED ]; then echo "make test: $$(cat $$logs/FAILED) FAILED"; exit 1; fi; \
	echo "make test: all passed in $$(( $$(date +%s) - start )) s"

demo: lab-up  ## set-up plus the main job, end to end, on the local lab (Exasol 2025.1.3; LAB_EXASOL_VERSION=7.1.26 for 7.1)
	@start=$$(date +%s); ansible-playbook -i inventory/lab playbooks/site.yml \
	  && echo "demo: site.yml in $$(( $$(date +%s) - start )) s" && $(PY) tests/lab/demo_show.py

clean: lab-down
	rm -rf .build .collections .pytest_cache
