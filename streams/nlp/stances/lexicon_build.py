"""Builds the stance cue lexicon `stance-lexicon.tsv` from the CAMEO verb dictionary (run by hand).

    .venv/bin/python -m streams.nlp.stances.lexicon_build [--cameo PATH] [--out PATH]

Input: `CAMEO.2.0.txt` of PETRARCH2 (Open Event Data Alliance, MIT licence, kept next to the
output as `LICENSE-cameo`; default `../shared/data/petrarch2/` beside the project). Its verb
section is a list of blocks, `--- NAME [CODE] ---`, each a set of (WordNet) synonyms with an
optional code of their own (`ENDORSE [051]`), multi-word verbs (`+SIDE_WITH`, `+CALL_OFF`) and
patterns that refine the code by the object (`- * SANCTIONS [163] # IMPOSE`; `[062:062]`: the
event runs both ways, "joint exercises"). See its `dictionaries.rst`.

What is taken:

* `V lemma particle code`: every verb of a block whose code falls in a stance class
  (`lexicon.cameo_type`), minus the blocks and lemmas of `SKIP_BLOCKS` / `SKIP_LEMMAS` (WordNet
  synonyms that in news prose are mostly not a stance: "argue", "reveal", "organise", "die").
* `P lemma object code reverse`: patterns `* OBJECT [code]` or `* OBJECT (PREP ...)` whose code
  is in a stance class: the verb with that object noun is the cue ("impose sanctions", "sign a
  treaty", "stage joint exercises"); `reverse` is the code of the reverse direction (`-` none).
  Synonym sets (`&TREATY`) are expanded; braces (`{JOINT EXERCISE}`) give their last word.
* `N noun lemma code`: nominal forms of the verbs taken ("condemnation", "backing", "invasion",
  "criticism", "threat"), made by English derivation rules (`_nominal_candidates`) and kept only
  when the spaCy model's vocabulary knows the word (the model as loaded, before it parses
  anything: parsing adds strings; the model is a dependency, so the same model gives the same
  file), plus the irregular ones the rules cannot make (`IRREGULAR_NOUNS`).
  `A noun lemma code`: agent nouns made the same way ("supporter", "critic", "ally").
* `X kind words code`: what CAMEO does not hold as verbs (`EXTRA_CUES`; verb + object ones become
  `P` lines): phrasal cues ("hit out at"), adjectival ones ("critical of", "supportive of"),
  reciprocal nouns ("feud", "alliance ... between X and Y"), each with the CAMEO code of the event class it belongs to.

The type, polarity and intensity of a code are `lexicon.cameo_type` (the README table), not stored
here: the file keeps CAMEO's codes. Same input, same bytes.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from .lexicon import LEXICON_PATH, cameo_type

CAMEO_DEFAULT = Path(__file__).resolve().parents[4] / "shared" / "data" / "petrarch2" / "CAMEO.2.0.txt"

# Blocks whose synonyms are, in news prose, mostly not stances toward someone ...
SKIP_BLOCKS = {
    "BARGAIN",
    "COORDINATE",
    "DISCLOSE",
    "INFLUENCE",
    "REJOICE",
    "APPRECIATE",
    "BLESS",
    "LEGITIMISE",
    "REASSERT",
    "FORMALIZE",
    "ALLOCATE",
    "BOOST",
    "ENACT",
    "ENLIST",
    "FACILITATE",
    "GRANT",
    "LINK",
    "MERGE",
    "OVERSEE_MANAGE",
    "TRADE",
    "FINANCE",
    "IMPORT",
    "PURCHASE",
    "INTERVENE",
    "STABILISE",
    "CURSE",
    "DESPAIR",
    "DISMAY",
    "DISTRUST",
    "LAMENT",
    "REGRET",
    "DISGRACE",
    "DELAY",
    "OVERRULE",
    "ENDANGER",
    "DISTURB",
    "MARCH",
    "RIOT",
    "MOBILIZE",
    "OVERFLY",
    "PARADE",
    "PATROL",
    "SECEDE",
    "CONFINE",
    "EXCLUDE",
    "IMPEL",
    "SUPPRESS",
    "VANDALISE",
    "EXTRACT",
    "NATIONALIZE",
    "STEAL",
    "TAKE_PROPERTY",
    "FINE",
    "PROHIBIT",
    "SENTENCE",
    "RAMPAGE",
    "RIP",
    "SCUFFLE",
    "TERRORIZE",
    "DESTROY",
    "DIE",
    "ENGAGE",
    "EXPLOSIVE_DESTRUCTION",
    "FLATTEN",
    "GUNFIRE",
    "POUND",
    "REPULSE",
}
# ... except these of their lemmas, which are (with the block's code).
KEEP_LEMMAS = {
    "allocate",
    "allot",
    "grant",
    "award",
    "donate",
    "contribute",
    "lend",
    "loan",
    "supply",
    "bestow",
    "merge",
    "fund",
    "finance",
    "bankroll",
    "sponsor",
    "regret",
    "lament",
    "deplore",
    "humiliate",
    "harass",
    "detain",
    "imprison",
    "jail",
    "incarcerate",
    "blacklist",
    "boycott",
    "embargo",
    "ostracise",
    "ostracize",
    "shun",
    "blackmail",
    "pressure",
    "crack_down",
    "crackdown",
    "repress",
    "suppress",
    "annex",
    "confiscate",
    "wrest",
    "nationalise",
    "nationalize",
    "steal",
    "fine",
    "ban",
    "veto",
    "outlaw",
    "censor",
    "sentence",
    "terrorize",
    "bomb",
    "bombard",
    "shell",
    "snipe",
    "gun_down",
    "blow_up",
    "torch",
}
# Lemmas of the blocks taken that are reporting verbs, literal or too vague to carry a stance.
SKIP_LEMMAS = {
    "affirm",
    "allege",
    "aver",
    "avow",
    "claim",
    "express",
    "swear",
    "bid",
    "campaign",
    "need",
    "necessitate",
    "decline",
    "fail",
    "defect",
    "reside",
    "inhabit",
    "infest",
    "take",
    "match",
    "ring",
    "circle",
    "surround",
    "remove",
    "catch",
    "grab",
    "spur",
    "inspire",
    "prefer",
    "value",
    "prize",
    "esteem",
    "rouse",
    "embolden",
    "enliven",
    "invigorate",
    "revitalize",
    "galvanize",
    "revolutionise",
    "revolutionize",
    "struggle",
    "decree",
    "crack",
    "spoil",
    "tear",
    "mar",
    "impair",
    "corrupt",
    "contaminate",
    "damage",
    "disorder",
    "disarray",
    "storm",
    "hammer",
    "pit",
    "stone",
    "reassure",
    "reward",
    "toast",
    "cheer",
    "arouse",
    "enkindle",
    "provoke",
    "lash",
    "bill",
    "evacuate",
    "overturn",
    "disband",
    "abort",
    "breach",
    "conflict",
    "harm",
    "hurt",
    "tarnish",
    "vitiate",
    "dishonor",
    "dishonour",
    "caution",
    "agree",
    "beef_up",
    "target",
    "argue",
    "contend",
    "contrast",
    "counterbalance",
    "debate",
    "differ",
    "compete",
    "contest",
    "complain",
    "bemoan",
    "wrangle",
    "dissent",
    "disagree",
    "protest",
    "refute",
    "contravene",
    "advertise",
    "advertize",
    "promote",
    "associate",
    "concert",
    "celebrate",
    "commemorate",
    "clap",
    "greet",
    "honor",
    "honour",
    "felicitate",
    "admire",
    "respect",
    "encourage",
    "favor",
    "favour",
    "charge",
    "implicate",
    "convict",
    "indict",
    "serve",
    "benefit",
    "render",
    "stock",
    "tender",
    "gear",
    "outfit",
    "attire",
    "furnish",
    "tend",
    "ward",
    "shelter",
    "guard",
    "look",
    "alert",
    "press",
    "push",
    "call",
    "ask",
    "say",
    "insist",
    "demand",
    "question",
    "object",
    "hold",
}
# Where CAMEO's class for a lemma is not the one it carries in news prose, or CAMEO lacks it.
LEMMA_CODES = {
    "recognise": "054",
    "recognize": "054",  # CAMEO: with praise (051); "recognise X as president"
    "defend": "052",
    "protect": "074",  # CAMEO 074 is military protection; "defended the purchase" is verbal
    "sue": "115",  # CAMEO: with prosecution (173)
    "blast": "111",
    "slam": "111",  # CAMEO: explosions; news: "X blasted Y" is criticism
    "reject": "120",  # CAMEO: under REFUSE, coded by its patterns only
    "oppose": "120",  # CAMEO: with "argue", "debate" (110); the README types it a rejection
    "approve": "050",  # CAMEO: with "allow" (080, yield)
    "warn": "130",  # CAMEO 130 too, but kept apart from "caution"; a stance only with a named object
    "lambast": "111",
    "depose": "174",
    "evict": "174",
    "partner": "050",
    "co-operate": "050",
    "champion": "050",
}
# Nominal forms the derivation rules cannot make: noun -> (verb lemma it stands for).
IRREGULAR_NOUNS = {
    "denunciation": "denounce",
    "expulsion": "expel",
    "recognition": "recognize",
    "opposition": "oppose",
    "invasion": "invade",
    "occupation": "occupy",
    "aggression": "attack",
    "offensive": "attack",
    "assault": "attack",
    "airstrike": "strike",
    "strike": "strike",
    "crackdown": "suppress",
    "threat": "threaten",
    "lawsuit": "sue",
    "aid": "aid",
    "assistance": "assist",
    "help": "help",
    "detention": "detain",
    "seizure": "seize",
    "defence": "defend",
    "defense": "defend",
    "protection": "protect",
    "endorsement": "endorse",
    "criticism": "criticize",
    "ban": "ban",
    "sanction": "sanction",
    "boycott": "boycott",
    "embargo": "embargo",
    "backing": "back",
    "support": "support",
    "praise": "praise",
    "tribute": "praise",
    "rebuke": "rebuke",
    "condemnation": "condemn",
    "accusation": "accuse",
    "rejection": "reject",
    "cooperation": "cooperate",
    "co-operation": "cooperate",
    "collaboration": "collaborate",
    "approval": "approve",
    "welcome": "welcome",
    "congratulations": "congratulate",
    "thanks": "thank",
    "attack": "attack",
    "bombing": "bomb",
    "shelling": "shell",
    "arrest": "arrest",
    "funding": "fund",
}
IRREGULAR_AGENTS = {
    "critic": "criticize",
    "detractor": "criticize",
    "believer": "support",
    "fan": "support",
    "opponent": "oppose",
    "ally": "ally",
    "advocate": "support",
    "supporter": "support",
    "backer": "back",
    "champion": "champion",
    "defender": "defend",
    "partner": "cooperate",
    "foe": "oppose",
    "enemy": "oppose",
    "rival": "oppose",
    "accuser": "accuse",
}
# Cues CAMEO has no verb entry for, each with the CAMEO code of its event class.
EXTRA_CUES: list[tuple[str, str, str]] = [
    # phrasal: verb, middle word (particle or object noun, "" none), preposition -> pobj is the target
    ("phrasal", "hit out at", "111"),
    ("phrasal", "lash out at", "111"),
    ("phrasal", "round  on", "111"),
    ("phrasal", "take aim at", "111"),
    ("phrasal", "pour water on", "111"),
    ("phrasal", "pay tribute to", "051"),
    ("phrasal", "send congratulations to", "051"),
    ("phrasal", "work  with", "050"),
    ("phrasal", "cooperate  with", "050"),
    ("phrasal", "co-operate  with", "050"),
    ("phrasal", "collaborate  with", "050"),
    ("phrasal", "side  with", "050"),
    ("phrasal", "ally  with", "050"),
    ("phrasal", "partner  with", "050"),
    ("phrasal", "team up with", "050"),
    ("phrasal", "agree  with", "050"),
    ("phrasal", "stand  with", "052"),
    ("phrasal", "stand  behind", "052"),
    ("phrasal", "stand  by", "052"),
    ("phrasal", "crack down on", "175"),
    ("phrasal", "rail  against", "111"),
    ("phrasal", "speak out against", "111"),
    ("phrasal", "turn  on", "111"),
    ("phrasal", "clash  with", "110"),
    ("phrasal", "fight  with", "190"),
    ("phrasal", "break  with", "160"),
    ("phrasal", "cut ties with", "160"),
    ("phrasal", "throw support behind", "050"),
    ("phrasal", "throw weight behind", "050"),
    ("phrasal", "distance  from", "110"),
    ("phrasal", "take exception to", "111"),
    ("phrasal", "stand up to", "120"),
    ("phrasal", "go after", "111"),
    ("phrasal", "come out against", "120"),
    ("phrasal", "come out for", "050"),
    ("phrasal", "speak out for", "050"),
    ("phrasal", "vote against", "120"),
    ("phrasal", "vote for", "050"),
    ("phrasal", "campaign against", "111"),
    ("phrasal", "campaign for", "050"),
    ("phrasal", "protest against", "141"),
    ("phrasal", "rally behind", "050"),
    ("phrasal", "rally around", "050"),
    ("phrasal", "stand up for", "052"),
    ("phrasal", "stick up for", "052"),
    ("phrasal", "hit back at", "111"),
    # adjectival: adjective and its preposition -> the preposition's object is the target
    ("adjective", "critical of", "111"),
    ("adjective", "supportive of", "050"),
    ("adjective", "opposed to", "120"),
    ("adjective", "sceptical of", "110"),
    ("adjective", "skeptical of", "110"),
    ("adjective", "hostile to", "110"),
    ("adjective", "hostile towards", "110"),
    ("adjective", "dismissive of", "110"),
    ("adjective", "scathing about", "111"),
    ("adjective", "scathing of", "111"),
    ("adjective", "withering about", "111"),
    ("adjective", "disappointed that", "111"),
    ("adjective", "disappointed with", "111"),
    ("adjective", "disappointed by", "111"),
    ("adjective", "disappointed in", "111"),
    ("adjective", "angry with", "111"),
    ("adjective", "angry at", "111"),
    ("adjective", "furious with", "111"),
    ("adjective", "furious at", "111"),
    ("adjective", "outraged by", "111"),
    ("adjective", "offended by", "111"),
    ("adjective", "appalled by", "111"),
    ("adjective", "grateful for", "051"),
    ("adjective", "proud of", "051"),
    ("adjective", "loyal to", "050"),
    ("adjective", "grateful to", "051"),
    ("adjective", "behind", "050"),
    # verb + object CAMEO lacks (its patterns have "* &EVIDENCE" for "share", not information)
    ("object", "share information", "064:064"),
    ("object", "share intelligence", "064:064"),
    ("object", "take exception", "111"),
    ("object", "voice concern", "111"),
    ("object", "express concern", "111"),
    # tariffs: a trade sanction, which CAMEO's sanction patterns (163, "impose sanctions") do not name
    *(("object", f"{verb} tariff", "163") for verb in ("impose", "slap", "levy", "place", "announce", "raise", "hike")),
    ("object", "threaten tariff", "1312"),
    # arms CAMEO's weapon synonyms (&WEAPON) lack, sent or supplied: military aid (072)
    *(
        ("object", f"{verb} {noun}", "072")
        for verb in ("send", "supply", "deliver", "provide")
        for noun in ("tank", "missile", "ammunition", "arm", "weapon")
        if (verb, noun) not in (("send", "weapon"), ("supply", "arm"))  # CAMEO's own
    ),
    # passive only: a verb too general in the active whose passive with an agent is the event
    ("passive", "hold", "173"),
    ("passive", "take", "171"),
    ("passive", "target", "190"),
    ("passive", "close", "172"),
    ("passive", "shut", "172"),
    # reciprocal nouns: between X and Y, of X and Y, X's ... with Y, X has a ... with Y (both directions)
    ("reciprocal", "feud", "110"),
    ("reciprocal", "rivalry", "110"),
    ("reciprocal", "dispute", "110"),
    ("reciprocal", "row", "110"),
    ("reciprocal", "spat", "110"),
    ("reciprocal", "clash", "110"),
    ("reciprocal", "war", "190"),
    ("reciprocal", "alliance", "050"),
    ("reciprocal", "partnership", "060"),
    ("reciprocal", "collaboration", "050"),
    ("reciprocal", "cooperation", "050"),
    ("reciprocal", "co-operation", "050"),
    ("reciprocal", "merger", "060"),
    ("reciprocal", "coalition", "050"),
    ("reciprocal", "joint venture", "060"),
    ("reciprocal", "pact", "057"),
    ("reciprocal", "treaty", "057"),
    ("reciprocal", "agreement", "057"),
    ("reciprocal", "deal", "057"),
    ("reciprocal", "accord", "057"),
]
# Zero-derived nouns that as nouns mostly mean something else ("his back", "a shell", "the press").
NOT_NOMINAL = {
    "back",
    "shell",
    "press",
    "charge",
    "fault",
    "hail",
    "bill",
    "fine",
    "hit",
    "target",
    "fire",
    "stock",
    "gear",
    "tender",
    "serve",
    "arm",
    "champion",
    "welcome",
    "ward",
    "guard",
    "object",
    "counter",
    "approve",
    "reject",
    "favor",
    "favour",
    "ally",
    "slap",
    "whip",
    "rip",
    "level",
    "blast",
    "raid",
    "strike",
    "kill",
    "shoot",
    "brand",
    "fund",
    "grant",
    "hang",
    "kick",
    "lecture",
    "nab",
    "pirate",
    "sentence",
    "slight",
    "wound",
    "supply",
    "cane",
    "sponsor",
    "partner",
    "savage",
    "loot",
    "slam",
    "scold",
    "scoff",
    "mock",
    "flog",
    "deportment",
    "equipment",
    "deposition",
    "striking",
    "hitting",
    "hanging",
    "kicking",
    "ripping",
    "finance",
    "lend",
    "loan",
    "award",
    "rescue",
    "torch",
    "bomb",
    "combat",
    "dispute",
    "challenge",
    "shield",
    "safeguard",
    "exile",
    "capture",
    "snatch",
    "steal",
    "hijack",
    "plunder",
    "annex",
    "siege",
    "overrun",
    "massacre",
    "canal",
    "final",
    "siegal",
    "lauder",
}  # the rules' accidents: cane+al, fine+al, laud+er


BIG_SYNSET = 30


def _words(raw: str) -> str:
    return raw.replace("_", " ").strip().lower()


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def parse_cameo(text: str) -> tuple[dict[str, list[str]], list[dict]]:
    """The synonym sets and the verb blocks of CAMEO.2.0.txt."""
    synsets: dict[str, list[str]] = {}
    blocks: list[dict] = []
    section = None
    current_set: str | None = None
    block: dict | None = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip() if not raw.startswith("#") else ""
        if raw.startswith("####### SYNONYM"):
            section = "syn"
            continue
        if raw.startswith("####### VERB"):
            section = "verbs"
            continue
        if raw.startswith("######## TRANSFORMATIONS"):
            break
        if not line.strip():
            current_set = None if section == "syn" else current_set
            continue
        if section == "syn":
            if line.startswith("&"):
                current_set = line.strip()
                synsets[current_set] = []
            elif line.startswith("+") and current_set:
                synsets[current_set].append(_words(line[1:]).rstrip(" "))
            continue
        if section != "verbs":
            continue
        header = re.match(r"^---\s+(\S+)\s+\[([^\]]*)\]", line)
        if header:
            block = {"name": header.group(1), "code": header.group(2).split(":")[0], "verbs": [], "patterns": []}
            blocks.append(block)
            continue
        if block is None:
            continue
        if line.startswith("-"):
            m = re.match(r"^-\s*(.*?)\s*\[([^\]]*)\]", line)
            comment = raw.split("#", 1)[1].strip() if "#" in raw else ""
            if m:
                block["patterns"].append((m.group(1), m.group(2), comment.split(",")[0].strip()))
            continue
        if line.startswith("~"):
            continue
        m = re.match(r"^([+A-Z_'\-]+)\s*(?:\{[^}]*\})?\s*(?:\[([^\]]*)\])?", line.strip())
        if m:
            block["verbs"].append((m.group(1), (m.group(2) or "").split(":")[0] or None))
    return synsets, blocks


def _verb_entry(raw: str) -> tuple[str, str] | None:
    """ "+SIDE_WITH" -> ("side", "with"); "CONDEMN" -> ("condemn", ""); pre-compounds are skipped."""
    parts = raw.split("_")
    if len(parts) == 1:
        return raw.strip("+").lower(), ""
    if parts[0].startswith("+") and len(parts) == 2:
        return parts[0][1:].lower(), parts[1].lower()
    return None


def _objects(pattern: str, synsets: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(object noun, preposition) of a `* ...` pattern with nothing before the verb."""
    pre, star, post = pattern.partition("*")
    if not star or pre.strip() not in ("", "+"):
        return []
    post = post.strip()
    m = re.match(r"^(\{[^}]*\}|&[A-Z_]+|[A-Z][A-Z'\-]*)", post)
    prep = ""
    if not m:
        m2 = re.match(r"^\((\w+)\s+(\{[^}]*\}|&[A-Z_]+|[A-Z][A-Z'\-]*)", post)
        if not m2:
            return []
        prep, head = m2.group(1).lower(), m2.group(2)
    else:
        head = m.group(1)
    if head.startswith("{"):
        words = head.strip("{}").split()
        head = words[-1] if words else ""
    if head.startswith("&"):
        nouns = synsets.get(head, [])
        if len(nouns) > BIG_SYNSET:
            nouns = nouns[:1]  # &WEAPON, &AIRCRAFT: 115 and 75 names of arms; their generic word
    else:
        nouns = [_words(head)]
    out = []
    for noun in nouns:
        last = noun.split()[-1] if noun.split() else ""
        if last and last.isalpha():
            out.append((_singular(last), prep))
    return out


def _nominal_candidates(verb: str) -> list[str]:
    """English derivations of a verb's event noun: condemn -> condemnation, back -> backing."""
    v = verb
    stem_e = v[:-1] if v.endswith("e") else v
    out = [
        v,
        stem_e + "ing",
        v + "ment",
        stem_e + "ment" if v.endswith("e") else v + "ment",
        v + "ation",
        stem_e + "ation",
        stem_e + "ure",
    ]
    if v.endswith("e"):
        out.append(stem_e + "al")  # approve -> approval, refuse -> refusal
    if v.endswith(("ay", "ss")):
        out.append(v + "al")  # betray -> betrayal, dismiss -> dismissal
    if v.endswith("te"):
        out.append(stem_e + "ion")  # donate -> donation, retaliate -> retaliation
    if v.endswith(("ct", "pt", "ss")):
        out.append(v + "ion")  # reject -> rejection, disrupt -> disruption, suppress -> suppression
    if v.endswith("ose"):
        out.append(v[:-1] + "ition")  # impose -> imposition, oppose -> opposition
    if len(v) > 2 and v[-1] not in "aeiouwxy" and v[-2] in "aeiou" and v[-3] not in "aeiou":
        out.append(v + v[-1] + "ing")  # ban -> banning
    if v.endswith("y"):
        out.append(v[:-1] + "iance")  # ally -> alliance, defy -> defiance
    if v.endswith("de"):
        out.append(v[:-2] + "sion")  # invade -> invasion
    if v.endswith("en"):
        out.append(v[:-2])  # threaten -> threat
    return out


def _agent_candidates(verb: str) -> list[str]:
    stem_e = verb[:-1] if verb.endswith("e") else verb
    return [stem_e + "er"]


def build(cameo: Path, vocab) -> list[str]:
    synsets, blocks = parse_cameo(cameo.read_text(encoding="utf-8", errors="replace"))
    verbs: dict[tuple[str, str], str] = {}
    patterns: dict[tuple[str, str, str], tuple[str, str]] = {}
    for block in blocks:
        skip_block = block["name"] in SKIP_BLOCKS
        for raw, own in block["verbs"]:
            entry = _verb_entry(raw)
            if entry is None:
                continue
            lemma, particle = entry
            if particle in ("and", "or"):
                continue  # "+KILLED_AND": fragments of longer patterns
            key = lemma if not particle else f"{lemma}_{particle}"
            code = LEMMA_CODES.get(key)
            if code is None:
                if (skip_block and key not in KEEP_LEMMAS) or key in SKIP_LEMMAS:
                    continue
                code = own or block["code"]
            if cameo_type(code) is not None:
                verbs.setdefault((lemma, particle), code)
        block_verbs = {(_verb_entry(raw) or ("", ""))[0] for raw, _ in block["verbs"]}
        for pattern, code, comment in block["patterns"]:
            forward, _, reverse = code.partition(":")
            if cameo_type(forward) is None:
                continue
            verb = (_verb_entry(comment.split()[0]) if comment else None) or (block["name"].lower(), "")
            if verb[0] not in block_verbs:
                continue
            for noun, prep in _objects(pattern, synsets):
                key = (verb[0], noun, prep)
                if key not in patterns:
                    patterns[key] = (forward.rstrip("!"), reverse.rstrip("!") or "-")
    for lemma, code in LEMMA_CODES.items():
        verbs.setdefault((lemma, ""), code)
    lines = [
        "# stance cue lexicon, built by streams/nlp/stances/lexicon_build.py from PETRARCH2's CAMEO.2.0.txt "
        "(MIT: LICENSE-cameo); do not edit by hand"
    ]
    for (lemma, particle), code in sorted(verbs.items()):
        lines.append(f"V\t{lemma}\t{particle or '-'}\t{code}")
    for (verb, noun, prep), (code, reverse) in sorted(patterns.items()):
        if prep:
            continue  # "* (FOR AID)": the preposition's object is not the verb's object
        lines.append(f"P\t{verb}\t{noun}\t{code}\t{reverse}")
    nouns: dict[str, tuple[str, str]] = {}
    agents: dict[str, tuple[str, str]] = {}
    for (lemma, particle), code in sorted(verbs.items()):
        if particle:
            continue
        for noun in _nominal_candidates(lemma):
            if noun in NOT_NOMINAL:
                continue
            if noun in vocab and noun not in nouns:
                nouns[noun] = (lemma, code)
        for agent in _agent_candidates(lemma) if code[:2] == "05" else ():
            if agent in vocab and agent not in agents and agent not in NOT_NOMINAL:
                agents[agent] = (lemma, code)
    for noun, lemma in IRREGULAR_NOUNS.items():
        code = verbs.get((lemma, "")) or LEMMA_CODES.get(lemma)
        if code:
            nouns[noun] = (lemma, code)
    for agent, lemma in IRREGULAR_AGENTS.items():
        code = verbs.get((lemma, "")) or LEMMA_CODES.get(lemma)
        if code:
            agents[agent] = (lemma, code)
    for noun, (lemma, code) in sorted(nouns.items()):
        lines.append(f"N\t{noun}\t{lemma}\t{code}")
    for agent, (lemma, code) in sorted(agents.items()):
        lines.append(f"A\t{agent}\t{lemma}\t{code}")
    for kind, words, code in EXTRA_CUES:
        if kind == "particle":
            verb, particle = words.split(" ")
            lines.append(f"V\t{verb}\t{particle}\t{code}")
        elif kind == "object":
            verb, noun = words.split(" ")
            forward, _, reverse = code.partition(":")
            lines.append(f"P\t{verb}\t{noun}\t{forward}\t{reverse or '-'}")
        else:
            lines.append(f"X\t{kind}\t{words}\t{code}")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cameo", type=Path, default=CAMEO_DEFAULT)
    parser.add_argument("--out", type=Path, default=LEXICON_PATH)
    parser.add_argument("--model", default=None, help="spaCy model whose vocabulary checks derived nouns")
    args = parser.parse_args(argv)
    import spacy

    from ...settings import Settings

    nlp = spacy.load(args.model or Settings().model)
    lines = build(args.cameo, nlp.vocab.strings)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines) - 1} entries -> {args.out}")


if __name__ == "__main__":
    main()
