"""Who a noun phrase refers to: the subject of a cue verb resolved to a canonical entity.

Shared by quotes (speaker) and stances (actor, target):

* pronouns "he"/"she" -> a subject earlier in the sentence, else the only (or subject) person of
  the previous sentence, else the latest subject of the three before, never across a known
  gender ("Mr Howard" is not "she", nor "Hillary Clinton" "he": gender.py); "it" speaking -> the
  organisation or country that was the subject just before ("the OECD said ... it added"); other
  pronouns -> None (no guess).
  `link_references` resolves subject pronouns and descriptions in reading order first, so each
  leans on the earlier ones ("he ... he ... he" stays with the first "he"'s person);
* a name -> its entity; a capital or seat of government -> its country ("Moscow said" -> Russia);
* a title or apposition -> the name inside it ("Foreign Ministry spokeswoman Maria Zakharova",
  "the spokeswoman, Maria Zakharova");
* a definite description -> the person introduced with that title, its modifiers preferred
  ("the French president" -> French President Jacques Chirac); a role nobody was introduced with
  -> the person the previous sentence was about ("Tony Blair is urging ... “...,” the prime
  minister said");
* an unnamed spokesperson of a named body -> that body ("a spokesman for the Foreign Ministry",
  "a BaFin spokeswoman"), or with no body named, the body just spoken of ("the Home Office
  defended the measures. A spokesman said");
* relative pronouns -> the noun they attach to ("Zakharova, who said ...").
"""

from __future__ import annotations

import re

from spacy.tokens import Doc, Token

from .entities import PERSON_ROLES, ArticleEntities, Entity
from .text import Ranges, doc_index

PERSONAL_PRONOUNS = {"he", "she", "him", "her"}
RELATIVE_PRONOUNS = {"who", "which", "that"}
SPOKES_WORDS = {
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "spokespeople",
    "spokesmen",
    "representative",
    "official",
    "officials",
    "office",
    "campaign",
    "government",
    "administration",
    "ministry",
    "statement",
    "aide",
    "aides",
    "press",
    "report",
    "letter",
    "release",
    "communique",
    "communiqué",
    "memo",
    "document",
    # groups named by their body: "G7 nations", "EU leaders", "Nato forces"
    "nations",
    "countries",
    "leaders",
    "members",
    "forces",
    "troops",
    "states",
}
# Unnamed voices that, with no body named beside them, speak for the body of the last sentences:
# "But the Home Office defended the measures. A spokesman said: ..."; "the OECD said ... the report warned".
STAND_IN_VOICES = {
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "statement",
    "report",
    "letter",
    "release",
    "communique",
    "communiqué",
}
# Dependency relations inside a noun phrase that may carry the name it refers to.
NAME_DEPS = ("appos", "compound", "nmod", "npadvmod")
_NAME_WORD = re.compile(r"[A-Z][a-z]*['’\-][A-Za-z]+")  # O'Donnell, Veron-Reville
OBJECT_CONTROL = {
    "prompt",
    "lead",
    "cause",
    "force",
    "ask",
    "urge",
    "invite",
    "encourage",
    "allow",
    "persuade",
    "tell",
    "push",
    "press",
    "inspire",
    "provoke",
    "get",
}
PASSIVE_REPORTING = {"quote", "hear", "see", "record", "film", "show", "report", "cite", "overhear", "tape"}


def _pick_subject(subjects: list[Token], verb: Token) -> Token:
    if len(subjects) == 1:
        return subjects[0]
    # "The charity's head of HIV/Aids in Britain, Simon Wright said": the name nearest the verb.
    named = [t for t in subjects if t.pos_ == "PROPN"]
    return min(named or subjects, key=lambda t: abs(verb.i - t.i))


def subject_of(verb: Token, depth: int = 0, from_complement: bool = False) -> Token | None:
    """The grammatical subject of `verb`, climbing through coordination and control verbs.

    "Zakharova provided ... but said" -> Zakharova; "Moscow has continued to back" -> Moscow;
    "Russia acknowledged ..., saying" -> Russia; "Zakharova, who said" -> Zakharova.
    A passive verb's subject is not its agent: the `by` phrase is used instead, or None; but the
    subject of a passive reporting verb does the speaking in its complement ("X was quoted as
    saying", "X is heard asking").
    """
    if depth > 4:
        return None
    passive: Token | None = None
    subjects = []
    for child in verb.children:
        if child.dep_ in ("nsubj", "csubj"):
            subjects.append(child)
        if child.dep_ == "nsubjpass":
            passive = child
    if subjects:
        return _pick_subject(subjects, verb)
    if passive is not None:
        if from_complement and verb.lemma_.lower() in PASSIVE_REPORTING:
            return passive
        for child in verb.children:
            if child.dep_ == "agent":
                return next((c for c in child.children if c.dep_ == "pobj"), None)
        return None
    if verb.dep_ == "relcl":
        return verb.head
    if verb.dep_ == "pcomp" and verb.head.dep_ == "prep" and verb.head.head.pos_ in ("VERB", "AUX"):
        return subject_of(verb.head.head, depth + 1, from_complement=True)  # "sings to Clinton before asking her"
    if verb.dep_ == "xcomp" and verb.head.lemma_.lower() in OBJECT_CONTROL:
        # "prompted the Atlas to state", "asked him to explain": the object does it
        obj = next((c for c in verb.head.children if c.dep_ == "dobj"), None)
        if obj is not None:
            return obj
    if verb.dep_ in ("conj", "xcomp", "advcl") and verb.head is not verb:
        infinitive = any(c.dep_ == "aux" and c.lower_ == "to" for c in verb.children)
        if verb.dep_ == "advcl" and verb.tag_ not in ("VBG", "VBN") and not infinitive:
            return None  # "..., Trump said when X asked" is a new clause with its own subject
        return subject_of(verb.head, depth + 1, from_complement=verb.dep_ != "conj")
    if verb.dep_ == "acl" and verb.tag_ == "VBG":
        return verb.head  # "a statement by X saying ..." is handled by the noun itself
    return None


def _modifiers(token: Token) -> set[str]:
    return {c.lower_ for c in token.children if c.dep_ in ("amod", "compound", "nmod") and c.is_alpha}


def _is_definite(token: Token) -> bool:
    return any(c.dep_ == "det" and c.lower_ == "the" for c in token.children)


def _describes(token: Token, has_owner: bool) -> bool:
    """A common noun that may stand for someone the article introduced: "the committee", "the
    fan", "police" (which needs no article)."""
    if has_owner or not token.is_alpha or token.pos_ not in ("NOUN", "PROPN"):
        return False
    if token.pos_ == "PROPN" and token.lower_ != "police":
        return False
    return _is_definite(token) or token.lower_ == "police"


def resolve(
    token: Token | None, entities: ArticleEntities, skip: Ranges | None = None, depth: int = 0
) -> Entity | None:
    """The canonical entity `token` (head of a noun phrase) refers to, or None."""
    if token is None or depth > 3:
        return None
    if token.i in entities.links:
        return entities.links[token.i]
    lower = token.lower_
    if token.pos_ == "PRON" or token.tag_ in ("PRP", "WP"):
        if lower in PERSONAL_PRONOUNS:
            return entities.last_person_before(token.idx, skip, pronoun=lower)
        if lower == "it" and token.dep_ == "nsubj":
            return entities.last_body_before(token.idx, skip)  # "the OECD said ... it added"
        if lower in RELATIVE_PRONOUNS and token.head.dep_ == "relcl":
            return resolve(token.head.head, entities, skip, depth + 1)
        return None
    entity = entities.for_token(token)
    if entity is not None and entity.label != "PERSON":
        # "MEC for Cooperative Governance, Jacob Mamabolo, said": the office is the person it names
        # (the parser may hang the name on the office's department).
        offices = [token] + [
            pobj for prep in token.children if prep.dep_ == "prep" for pobj in prep.children if pobj.dep_ == "pobj"
        ]
        for office in offices:
            for child in office.children:
                named = entities.for_token(child) if child.dep_ == "appos" else None
                if named is not None and named.label == "PERSON":
                    return named
    if entity is not None:
        return entities.as_actor(entity, token)
    if token.text[:1].isupper() and (token.is_alpha or _NAME_WORD.fullmatch(token.text)):
        # A name the NER missed ("Tester said"): the proper-noun chain ending at the head. A
        # capitalised word the tagger took for a noun only counts if it names someone known.
        chain = [token]
        for child in reversed([c for c in token.lefts if c.dep_ == "compound" and c.pos_ == "PROPN"]):
            if child.i == chain[0].i - 1:
                chain.insert(0, child)
        named = entities.for_name(chain, create=token.pos_ == "PROPN")
        if named is not None:
            return entities.as_actor(named, token)
    children = list(token.children)
    has_owner = any(c.dep_ == "poss" or (c.dep_ == "prep" and c.lower_ in ("of", "for", "at")) for c in children)
    if _is_definite(token) and not has_owner:
        # "the mayor said" -> Mayor Bill de Blasio; "the French president" -> French President Jacques Chirac
        by_role = entities.person_by_role(lower, token.idx, _modifiers(token))
        if by_role is not None:
            return by_role
    if _describes(token, has_owner) and lower not in SPOKES_WORDS:  # those have their own rule, below
        # "the committee wrote" -> House Judiciary Committee; "the force said" -> Devon and Cornwall
        # Police; "the paper claimed" -> newspaper Dagens Nyheter; "the fan explained" -> Disney fan Abby Dunn
        body = entities.body_by_noun(lower, token.idx)
        if body is not None:
            return body
        if token.tag_ == "NN":
            by_word = entities.person_by_role(lower, token.idx, _modifiers(token), any_noun=True)
            if by_word is not None:
                return by_word
    # Titles and appositions: the name is a child of the head noun.
    for dep in NAME_DEPS:
        for child in children:
            if child.dep_ == dep:
                found = entities.for_token(child)
                if found is not None and found.label == "PERSON":
                    return found
    if lower in SPOKES_WORDS:
        # "a spokesman for the ministry", "the Kremlin's spokesman", "State Department spokesperson".
        for child in children:
            if child.dep_ in ("compound", "poss", "nmod"):
                found = entities.for_token(child)
                if found is None and child.pos_ == "PROPN":
                    found = resolve(child, entities, skip, depth + 1)
                if found is not None:
                    return entities.as_actor(found, child)
            if child.dep_ == "prep" and child.lower_ in ("for", "of", "at"):
                for pobj in child.children:
                    if pobj.dep_ == "pobj":
                        found = resolve(pobj, entities, skip, depth + 1)
                        if found is not None:
                            return found
        if _is_definite(token) and not has_owner and lower not in STAND_IN_VOICES:
            # "the campaign said" after "the Harris campaign", "the ministry" after "the Ministry of
            # Defence" (but "the report" is no "World Business Report": a document speaks for its author)
            named = entities.body_by_noun(lower, token.idx)
            if named is not None:
                return named
        if lower in STAND_IN_VOICES and not has_owner:
            return entities.last_body_before(token.idx, skip)
    for child in children:
        if child.dep_ == "appos":
            found = resolve(child, entities, skip, depth + 1)
            if found is not None:
                return found
    if _is_definite(token) and not has_owner and lower in PERSON_ROLES and token.dep_ in ("nsubj", "nsubjpass"):
        # "Tony Blair is urging ... . “...,” the prime minister said": a role nobody was introduced
        # with is the person the previous sentence was about.
        return entities.subject_person_of_previous_sentence(token.idx, skip)
    return None


def link_references(doc: Doc, entities: ArticleEntities, quoted: Ranges, excluded: Ranges) -> None:
    """Resolve, in reading order, the subjects that are pronouns or descriptions ("he", "the
    cardinal", "a spokesman") and record them, so each later one can lean on the earlier ones."""
    for token in doc_index(doc).tokens:
        if token.dep_ not in ("nsubj", "nsubjpass") or quoted.contains(token.idx) or excluded.contains(token.idx):
            continue
        lower = token.lower_
        if lower in ("he", "she"):
            pass
        elif (
            token.pos_ in ("NOUN", "PROPN")
            and (lower in PERSON_ROLES or lower in STAND_IN_VOICES)
            and (_is_definite(token) or lower in STAND_IN_VOICES)
        ):
            pass
        elif _describes(token, False):
            found = resolve(token, entities, quoted)
            if found is not None:
                entities.add_reference(token, found)
            continue
        else:
            continue
        entities.add_reference(token, resolve(token, entities, quoted))
