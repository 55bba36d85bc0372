# Set-up is two commands: `make demo` and `make test`. Both create or update .venv from
# pyproject.toml first (the stamp file is rebuilt whenever pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

# The tomahawk study: validate, compute, summarise and plot configs/tomahawk.yaml.
demo: $(STAMP)
	$(BIN)/neg validate configs/tomahawk.yaml
	$(BIN)/neg run configs/tomahawk.yaml -o results/tomahawk.nc
	$(BIN)/neg info results/tomahawk.nc
	$(BIN)/neg plot results/tomahawk.nc -o results/tomahawk.png
	@echo
	@echo "Results: $(CURDIR)/results/tomahawk.nc   (xarray.open_dataset, neg info)"
	@echo "Plot:    $(CURDIR)/results/tomahawk.png"
	@echo "More:    neg run configs/racetrack.yaml | sweep_sigma_mu.yaml | relocation.yaml; docs/studies.md"

# CI runs this: lint, the import-linter contracts of the layering ([tool.importlinter] in
# pyproject.toml, see docs/architecture.md), then the tests.
test: $(STAMP)
	$(BIN)/ruff check neg tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m benchmarks $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check neg tests benchmarks
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .import_linter_cache build *.egg-info
