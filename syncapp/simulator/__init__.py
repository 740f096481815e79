"""A faithful fake of the LogiKal MBIOE v3 REST API (pure Python, stdlib only, no Django)."""

from .partslist import ElevationFacts, build_parts_list, corrupt_parts_list

__all__ = ["ElevationFacts", "build_parts_list", "corrupt_parts_list"]
