"""Know your judge: `contentloop calibrate` and the calibration card (docs/calibrate.md)."""

from .calset import CalibrationSet, load_set
from .card import CARDS_DIR, Card, CardStatus, card_path, card_status, load_card, save_card
from .run import acalibrate, plan

__all__ = [
    "CARDS_DIR",
    "CalibrationSet",
    "Card",
    "CardStatus",
    "acalibrate",
    "card_path",
    "card_status",
    "load_card",
    "load_set",
    "plan",
    "save_card",
]
