"""Vocabulary the simulator draws realistic names from.

Aluminium systems, RAL/anodised surfaces, glass build-ups, article descriptions, people and
places, as they appear in a Dutch/German window builder's LogiKal project centre. Shared by the
data-set generator and the parts-list generator so both tell the same story about an elevation.
"""

from __future__ import annotations

import hashlib
import uuid

NULL_GUID = "00000000-0000-0000-0000-000000000000"

# (system code, system name, long name, manufacturer, profile depth mm)
SYSTEMS: tuple[tuple[str, str, str, str, int], ...] = (
    ("AWS 75.SI+", "Schüco AWS 75.SI+", "Schüco window system AWS 75.SI+ thermally insulated", "Schüco", 75),
    ("AWS 70.HI", "Schüco AWS 70.HI", "Schüco window system AWS 70.HI highly insulated", "Schüco", 70),
    ("ADS 75", "Schüco ADS 75", "Schüco door system ADS 75 thermally insulated", "Schüco", 75),
    ("FWS 50", "Schüco FWS 50", "Schüco mullion/transom facade FWS 50", "Schüco", 50),
    ("ASS 77 PD", "Schüco ASS 77 PD", "Schüco panorama design sliding system ASS 77 PD", "Schüco", 77),
    ("CS 77", "Reynaers CS 77", "Reynaers ConceptSystem 77 window and door", "Reynaers", 77),
    ("ML 8", "Reynaers MasterLine 8", "Reynaers MasterLine 8 high insulation", "Reynaers", 78),
    ("CW 50", "Reynaers ConceptWall 50", "Reynaers ConceptWall 50 curtain wall", "Reynaers", 50),
    ("MB-86", "Aluprof MB-86", "Aluprof MB-86 window and door system", "Aluprof", 77),
    ("AA 100", "Kawneer AA 100", "Kawneer AA 100 curtain wall", "Kawneer", 100),
)

SURFACES: tuple[tuple[str, str], ...] = (
    ("RAL 9016", "Traffic white"),
    ("RAL 9010", "Pure white"),
    ("RAL 7016", "Anthracite grey"),
    ("RAL 9005", "Jet black"),
    ("RAL 7021", "Black grey"),
    ("RAL 7039", "Quartz grey"),
    ("RAL 9007", "Grey aluminium"),
    ("RAL 8019", "Grey brown"),
    ("EV1", "Anodised natural silver"),
    ("C33", "Anodised bronze medium"),
)

SURFACE_FINISHES = ("Powder coating matt", "Powder coating fine texture", "Anodising", "Powder coating gloss")

GLASS_BUILDUPS: tuple[tuple[str, float, int], ...] = (
    ("HR++ 4-16-4 argon", 1.1, 24),
    ("Triple 4-14-4-14-4 argon", 0.6, 40),
    ("HR++ 44.2-15-6 safety", 1.1, 30),
    ("Sun protection 6-16-44.2", 1.0, 31),
    ("Acoustic 8-15-66.2 SI", 1.1, 36),
    ("Panel 24 mm insulated", 0.4, 24),
)

ARTICLE_WORDS = (
    "Window handle", "Corner cleat", "Hinge set", "Espagnolette", "Drainage cap", "Glazing bead clip",
    "Centre seal", "EPDM gasket", "Screw ST 4.8x19", "Pressure plate", "Cover cap", "Mullion connector",
    "Threshold", "Door closer", "Multi-point lock", "Cylinder housing", "Sash stay", "Tilt-turn gear",
    "Water deflector", "Thermal insulator", "Setting block", "Spacer block", "Sealant cartridge",
)

PROFILE_WORDS = (
    "Frame profile", "Sash profile", "Mullion", "Transom", "Glazing bead", "Coupling profile",
    "Sill profile", "Door leaf profile", "Threshold profile", "Adaptor profile", "Cover profile",
)

PEOPLE = (
    "J. de Vries", "M. Jansen", "P. Bakker", "S. Visser", "K. Smit", "L. Meijer", "R. de Boer",
    "A. Mulder", "T. Bos", "E. Vos", "H. Peters", "D. Hendriks", "F. van Dijk", "N. Dekker",
)

PLACES = (
    "Amsterdam", "Rotterdam", "Utrecht", "Eindhoven", "Groningen", "Zwolle", "Arnhem", "Breda",
    "Nijmegen", "Apeldoorn", "Haarlem", "Leiden", "Maastricht", "Tilburg", "Enschede", "Delft",
)

BUILDING_KINDS = (
    "Residence", "Office block", "School", "Villa", "Apartments", "Sports hall", "Care home",
    "Townhouses", "Shop front", "Warehouse offices", "Library", "Town hall annex",
)

STREETS = (
    "Kerkstraat", "Dorpsstraat", "Stationsweg", "Molenweg", "Schoolstraat", "Julianastraat",
    "Wilhelminastraat", "Nieuwstraat", "Industrieweg", "Parallelweg", "Beatrixlaan", "Havenkade",
)

ELEVATION_TYPES = ("Window", "Door", "Facade", "SlidingDoor")

DIRECTORY_WORDS = (
    "Projects", "Archive", "Quotations", "Orders", "Residential", "Commercial", "Service",
    "Renovation", "New build", "Tenders", "Templates", "Customers",
)


def guid_from(*parts: object) -> str:
    """A stable lower-case GUID derived from the given parts (same parts, same GUID)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def braced(guid: str) -> str:
    """The form GUIDs take inside a parts-list file: upper case in braces."""
    return "{" + guid.strip("{}").upper() + "}"
