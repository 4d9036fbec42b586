import sys
from pathlib import Path

# tests import their shared scenario builders (tests/ledger_days.py, ...) by name
sys.path.insert(0, str(Path(__file__).parent))
