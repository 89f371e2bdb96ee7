"""Vale compatibility: `.vale.ini` and Vale style packages read into contentloop's checks."""

from .rules import SUPPORTED, UNSUPPORTED, Alert, Rule, load_rule
from .styles import RuleSet, load_ruleset

__all__ = ["SUPPORTED", "UNSUPPORTED", "Alert", "Rule", "RuleSet", "load_rule", "load_ruleset"]
