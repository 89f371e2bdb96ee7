"""Vale compatibility: `.vale.ini` and Vale style packages read into contentloop's checks."""

from .kinds import load_rule
from .rules import SUPPORTED, UNSUPPORTED, Alert, Rule
from .styles import RuleSet, load_ruleset

__all__ = ["SUPPORTED", "UNSUPPORTED", "Alert", "Rule", "RuleSet", "load_rule", "load_ruleset"]
