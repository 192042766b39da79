"""Word lists for people, companies and places (all invented or generic)."""

from __future__ import annotations

import random
import unicodedata

FIRST = (
    "Aaron Abigail Adam Adrian Aisha Alan Alba Alex Alice Amara Amelia Ana Andre Anna Arjun "
    "Ben Bianca Brian Bruno Camila Carlos Carmen Chen Chloe Chris Clara Daniel Dara David Diego "
    "Elena Eli Emma Eric Ethan Eva Farah Felix Fiona Gabriel Grace Hannah Hugo Ian Ines Isaac "
    "Ivy Jack Jade James Jana Jonas Jose Julia Kai Karim Kate Kenji Laura Leo Lena Liam Lucia "
    "Luis Maya Marco Maria Mark Mateo Mia Mohamed Nadia Nina Noah Olga Omar Oscar Paula Priya "
    "Rafael Rana Rosa Ruth Sam Sara Sean Sofia Tariq Theo Tom Uma Victor Wei Yara Yusuf Zoe "
    "José Zoë Björn Renée Łukasz Søren Inès Çağla"
).split()
LAST = (
    "Abbott Adeyemi Alvarez Andersen Baker Banerjee Becker Bennett Bianchi Brennan Brooks Carter "
    "Castro Chen Clarke Costa Cruz Dubois Duarte Evans Fischer Fitzgerald Fontaine Garcia Gomez "
    "Gupta Hansen Harris Hoffmann Hughes Ibrahim Ito Jansen Jensen Johnson Kaur Keller Kim "
    "Kowalski Kumar Lambert Larsen Laurent Lee Lopez Martin Meyer Miller Moreau Morgan Murphy "
    "Nakamura Nguyen Novak O'Brien O'Connor Okafor Olsen Park Patel Perez Petrov Quinn Ramos "
    "Reyes Richter Rossi Russo Santos Schmidt Schneider Silva Singh Smith Sousa Tanaka Taylor "
    "Thompson Torres Vargas Vogel Wagner Walsh Weber Williams Wilson Wong Young Zhang Zimmermann "
    "Müller García Sørensen Núñez Ødegaard Dvořák Łukasiewicz"
).split()

_CO_A = (
    "Acme Apex Arbor Aster Atlas Aurora Beacon Birch Blue Bright Cedar Cobalt Copper Crest "
    "Delta Ember Evergreen Falcon Fern Granite Harbor Helix Horizon Iron Juniper Keystone "
    "Lumen Maple Meridian Nimbus North Nova Oak Onyx Orbit Pine Pioneer Prism Quartz Radiant "
    "Redwood Ridge River Sable Sierra Silver Slate Solstice Spruce Summit Terra Tidal Vector "
    "Vertex Willow Zenith Åkerberg Grünwald Lumière Señora"
).split()
_CO_B = (
    "Analytics Bio Capital Cloud Dynamics Energy Foods Freight Health Holdings Industries Labs "
    "Logistics Media Medical Networks Partners Pharma Retail Robotics Security Software Systems "
    "Telecom Textiles Therapeutics Ventures Works"
).split()
_CO_SUFFIX = ("", "", "", "", " Inc.", " LLC", " Ltd", " GmbH", " Group", ", Inc.", " & Co")

INDUSTRIES = (
    "Technology",
    "Financial Services",
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Media",
    "Education",
    "Energy",
    "Transportation",
    "Hospitality",
    "Telecommunications",
)

COUNTRIES = {
    "North America": (("United States", "USD", 8), ("Canada", "USD", 2)),
    "NA East": (("United States", "USD", 8), ("Canada", "USD", 2)),
    "NA West": (("United States", "USD", 10),),
    "EMEA": (
        ("Germany", "EUR", 4),
        ("France", "EUR", 3),
        ("Netherlands", "EUR", 2),
        ("Spain", "EUR", 1),
        ("Ireland", "EUR", 1),
        ("United Kingdom", "GBP", 5),
    ),
    "APAC": (("Singapore", "USD", 3), ("Australia", "USD", 4), ("Japan", "USD", 3)),
}


_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss"})


def ascii_fold(text: str) -> str:
    """Müller -> Muller, Łukasz -> Lukasz: for e-mail addresses."""
    return unicodedata.normalize("NFKD", text.translate(_FOLD)).encode("ascii", "ignore").decode("ascii")


def person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST), rng.choice(LAST)


def company(rng: random.Random) -> str:
    return f"{rng.choice(_CO_A)} {rng.choice(_CO_B)}{rng.choice(_CO_SUFFIX)}"


def country(rng: random.Random, region: str) -> tuple[str, str]:
    """A billing country of the region and its currency."""
    options = COUNTRIES[region]
    total = sum(w for _, _, w in options)
    x = rng.random() * total
    for name, cur, w in options:
        x -= w
        if x < 0:
            return name, cur
    return options[-1][0], options[-1][1]
