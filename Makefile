# One task runner for people and CI alike. `make demo` and `make test` are the README's two commands.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORTMATRIX := $(VENV)/bin/portmatrix
SYSTEM_TOOLS := nft iptables-restore nmap ip java conntrack nfdump softflowd
APT_PACKAGES := nftables iptables nmap iproute2 ipset openjdk-17-jre-headless conntrack nfdump softflowd
EXTRAS ?= dev,aerleon,spark,fast

.PHONY: demo test lint typecheck system-deps venv schema catalog docs bench fuzz clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e ".[$(EXTRAS)]"
	touch $@

venv: $(VENV)/.installed

# Installs the kernel-facing tools the namespace tests drive, only where they are missing and we are root.
system-deps:
	@missing=""; for t in $(SYSTEM_TOOLS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing system packages for:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	  else echo "note: missing$$missing; namespace tests will skip"; fi; \
	fi

demo: venv
	$(PORTMATRIX) port 40087
	$(PORTMATRIX) resolve examples/duplex-cce.yaml
	$(PORTMATRIX) render windows examples/duplex-cce.yaml --host rtr-a -o out/rtr-a.ps1 --mkdir --stats
	$(PORTMATRIX) render asa examples/duplex-cce.yaml --between side-a side-b -o out/side-a-side-b.asa --stats
	@echo "wrote out/rtr-a.ps1 (Windows Defender Firewall for the side-A router: run it as Administrator)"
	@echo "wrote out/side-a-side-b.asa (the ASA ACL between the two sides: paste it in configuration mode)"

test: system-deps venv lint typecheck
	$(PY) -m pytest -q -p no:cacheprovider

lint: venv
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

typecheck: venv
	$(VENV)/bin/mypy

schema: venv
	$(PY) -m portmatrix.schema --write

# The bundled packs compiled to JSON (what a look-up loads); a test fails when it is stale.
catalog: venv
	$(PY) -c 'import sys; from portmatrix.catalog import main; sys.exit(main(["--write"]))'

docs: venv
	$(PY) -m portmatrix.cli.docs --write

bench: venv
	$(PY) benchmarks/run_all.py

# Mutation fuzzing of every loader and ruleset reader; reports inputs tried and crashes.
FUZZ_SECONDS ?= 180
fuzz: venv
	$(PY) tests/fuzz/fuzz_inputs.py --seconds $(FUZZ_SECONDS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
