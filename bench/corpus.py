"""A deterministic corpus of Markdown posts for benchmarks (same seed → same bytes)."""

from __future__ import annotations

import random
from pathlib import Path

SUBJECTS = [
    "The plant",
    "Our maintenance team",
    "A private 5G cell",
    "The digital twin",
    "Every operator",
    "The compliance audit",
    "A vibration sensor",
    "The night shift",
    "Most factories",
    "The line manager",
    "An edge gateway",
    "The control room",
]
VERBS = [
    "reduces",
    "measures",
    "schedules",
    "replaces",
    "exposes",
    "logs",
    "predicts",
    "leverages",
    "connects",
    "simplifies",
    "delays",
    "doubles",
    "audits",
    "unlocks",
]
OBJECTS = [
    "downtime on the press line",
    "rework on the paint shop",
    "latency under 20 ms",
    "the cost of a wired drop",
    "six hundred connected devices",
    "the Q3 audit trail",
    "a seamless handover between cells",
    "firmware updates at night",
    "spare-part orders",
    "the energy bill of the compressor room",
    "cutting-edge analytics",
    "patch windows for OT networks",
]
TAILS = [
    "",
    " in under a week",
    " without new cabling",
    " for about $400 per drop",
    " across three sites",
    ", which I have seen twice",
    " at 3.7 GHz",
    " — finally",
]
HEADINGS = [
    "Why Wi-Fi stalls at scale",
    "What changes with a private network",
    "Where the money goes",
    "How to run a pilot",
    "What this means for plant managers",
    "Next steps",
    "The numbers",
    "Common objections",
]


def _sentence(rng: random.Random) -> str:
    s = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}{rng.choice(TAILS)}"
    return s + ("!" if rng.random() < 0.03 else ".")


def _paragraph(rng: random.Random, n: int) -> str:
    return " ".join(_sentence(rng) for _ in range(n))


def make_post(i: int, rng: random.Random) -> str:
    parts = [
        f"---\ntitle: Post {i}\n---\n",
        f"# Post {i}: {rng.choice(HEADINGS)}\n",
        _paragraph(rng, 4) + " But here's the shift: it pays back.\n",
    ]
    for h in rng.sample(HEADINGS, 5):
        parts.append(f"## {h}\n")
        for _ in range(rng.randint(2, 3)):
            parts.append(_paragraph(rng, rng.randint(4, 7)) + "\n")
        if rng.random() < 0.4:
            parts.append("```bash\nnmap -sn 10.0.0.0/24  # leverage the VLAN list!\n```\n")
        if rng.random() < 0.5:
            parts.append("> **Key insight:** " + _paragraph(rng, 2) + "\n")
        parts.append(f"See [the guide](https://example.com/{i}/leverage) and `cfg.unlock=true`.\n")
    return "\n".join(parts)


def build(folder: Path, n: int = 120, seed: int = 7) -> list[Path]:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"post-{i:03d}.md"
        p.write_text(make_post(i, rng), encoding="utf-8")
        paths.append(p)
    return paths
