"""Who a noun phrase refers to: the subject of a cue verb resolved to a canonical entity.

Shared by quotes (speaker) and stances (actor, target):

* pronouns "he"/"she" -> the person mentioned last before them (outside quotes);
  other pronouns -> None (no guess);
* a name -> its entity; a capital or seat of government -> its country ("Moscow said" -> Russia);
* a title or apposition -> the name inside it ("Foreign Ministry spokeswoman Maria Zakharova",
  "the spokeswoman, Maria Zakharova");
* an unnamed spokesperson of a named body -> that body ("a spokesman for the Foreign Ministry");
* relative pronouns -> the noun they attach to ("Zakharova, who said ...").
"""

from __future__ import annotations

from spacy.tokens import Token

from .entities import ArticleEntities, Entity
from .text import Ranges

PERSONAL_PRONOUNS = {"he", "she", "him", "her"}
RELATIVE_PRONOUNS = {"who", "which", "that"}
SPOKES_WORDS = {
    "spokesman", "spokeswoman", "spokesperson", "spokespeople", "spokesmen", "representative", "official",
    "officials", "office", "campaign", "government", "administration", "ministry", "statement", "aide",
    "aides", "press",
}
# Dependency relations inside a noun phrase that may carry the name it refers to.
NAME_DEPS = ("appos", "compound", "nmod", "npadvmod")


def subject_of(verb: Token, depth: int = 0) -> Token | None:
    """The grammatical subject of `verb`, climbing through coordination and control verbs.

    "Zakharova provided ... but said" -> Zakharova; "Moscow has continued to back" -> Moscow;
    "Russia acknowledged ..., saying" -> Russia; "Zakharova, who said" -> Zakharova.
    A passive verb's subject is not its agent: the `by` phrase is used instead, or None.
    """
    if depth > 4:
        return None
    passive = False
    for child in verb.children:
        if child.dep_ in ("nsubj", "csubj"):
            return child
        if child.dep_ == "nsubjpass":
            passive = True
    if passive:
        for child in verb.children:
            if child.dep_ == "agent":
                return next((c for c in child.children if c.dep_ == "pobj"), None)
        return None
    if verb.dep_ == "relcl":
        return verb.head
    if verb.dep_ == "pcomp" and verb.head.dep_ == "prep" and verb.head.head.pos_ in ("VERB", "AUX"):
        return subject_of(verb.head.head, depth + 1)  # "sings to Clinton before asking her"
    if verb.dep_ in ("conj", "xcomp", "advcl") and verb.head is not verb:
        if verb.dep_ == "advcl" and verb.tag_ not in ("VBG", "VBN"):
            return None  # "..., Trump said when X asked" is a new clause with its own subject
        return subject_of(verb.head, depth + 1)
    if verb.dep_ == "acl" and verb.tag_ == "VBG":
        return verb.head  # "a statement by X saying ..." is handled by the noun itself
    return None


def resolve(token: Token | None, entities: ArticleEntities, skip: Ranges | None = None,
            depth: int = 0) -> Entity | None:
    """The canonical entity `token` (head of a noun phrase) refers to, or None."""
    if token is None or depth > 3:
        return None
    lower = token.lower_
    if token.pos_ == "PRON" or token.tag_ in ("PRP", "WP"):
        if lower in PERSONAL_PRONOUNS:
            return entities.last_person_before(token.idx, skip)
        if lower in RELATIVE_PRONOUNS and token.head.dep_ == "relcl":
            return resolve(token.head.head, entities, skip, depth + 1)
        return None
    entity = entities.for_token(token)
    if entity is not None:
        return entities.as_actor(entity, token)
    if token.text[:1].isupper() and token.is_alpha:
        # A name the NER missed ("Tester said"): the proper-noun chain ending at the head. A
        # capitalised word the tagger took for a noun only counts if it names someone known.
        chain = [token]
        for child in reversed([c for c in token.lefts if c.dep_ == "compound" and c.pos_ == "PROPN"]):
            if child.i == chain[0].i - 1:
                chain.insert(0, child)
        named = entities.for_name(chain, create=token.pos_ == "PROPN")
        if named is not None:
            return entities.as_actor(named, token)
    if any(c.dep_ == "det" and c.lower_ == "the" for c in token.children):
        by_role = entities.person_by_role(lower, token.idx)  # "the mayor said" -> Mayor Bill de Blasio
        if by_role is not None:
            return by_role
    # Titles and appositions: the name is a child of the head noun.
    children = list(token.children)
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
                if found is not None:
                    return entities.as_actor(found, child)
            if child.dep_ == "prep" and child.lower_ in ("for", "of", "at"):
                for pobj in child.children:
                    if pobj.dep_ == "pobj":
                        found = resolve(pobj, entities, skip, depth + 1)
                        if found is not None and found.label != "PERSON":
                            return found
    for child in children:
        if child.dep_ == "appos":
            found = resolve(child, entities, skip, depth + 1)
            if found is not None:
                return found
    return None
