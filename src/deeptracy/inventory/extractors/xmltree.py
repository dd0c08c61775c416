"""XML for extractors, read only through defusedxml.

Any document type declaration is refused before anything is expanded: a DTD is where entity
bombs ("billion laughs") and external entities (XXE, reading local files or URLs) live, and
no manifest DeepTracy reads needs one. Elements keep the line of their start tag and lose
their namespace, so extractors read `<dependency>` whatever the POM or CycloneDX namespace.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from deeptracy.inventory.interface import ExtractError


@dataclass(eq=False, slots=True)
class XmlNode:
    tag: str  # local name, without namespace
    namespace: str
    attrs: dict[str, str]
    line: int
    children: list[XmlNode] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The element's own character data, stripped."""
        return "".join(self.parts).strip()

    def find(self, tag: str) -> XmlNode | None:
        return next((c for c in self.children if c.tag == tag), None)

    def findall(self, tag: str) -> list[XmlNode]:
        return [c for c in self.children if c.tag == tag]

    def path(self, *tags: str) -> XmlNode | None:
        node: XmlNode | None = self
        for tag in tags:
            node = node.find(tag) if node is not None else None
        return node

    def findtext(self, tag: str) -> str | None:
        """The stripped text of the first child named `tag`; None when absent or empty."""
        child = self.find(tag)
        return (child.text or None) if child is not None else None

    def attr(self, name: str, *, ignore_case: bool = False) -> str | None:
        if not ignore_case:
            return self.attrs.get(name)
        wanted = name.lower()
        return next((v for k, v in self.attrs.items() if k.lower() == wanted), None)

    def iter(self, tag: str) -> Iterator[XmlNode]:
        """Every descendant (and self) named `tag`, in document order, without recursion."""
        stack = [self]
        while stack:
            node = stack.pop()
            if node.tag == tag:
                yield node
            stack.extend(reversed(node.children))


def _split(name: str) -> tuple[str, str]:
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return "", name


class _Builder:
    """An ElementTree parser target that builds XmlNodes with line numbers."""

    def __init__(self) -> None:
        self.stack: list[XmlNode] = []
        self.root: XmlNode | None = None
        self.expat: Any = None  # the parser's expat object, for the current line

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        namespace, local = _split(tag)
        node = XmlNode(
            tag=local,
            namespace=namespace,
            attrs={_split(k)[1]: v for k, v in attrs.items()},
            line=int(self.expat.CurrentLineNumber),
        )
        if self.stack:
            self.stack[-1].children.append(node)
        elif self.root is None:
            self.root = node
        self.stack.append(node)

    def end(self, tag: str) -> None:
        self.stack.pop()

    def data(self, text: str) -> None:
        if self.stack:
            self.stack[-1].parts.append(text)

    def close(self) -> XmlNode | None:
        return self.root


def parse_xml(data: bytes) -> XmlNode:
    """The root element of `data`; ExtractError for hostile or malformed XML."""
    builder = _Builder()
    parser = DefusedXMLParser(
        target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    builder.expat = parser.parser
    try:
        parser.feed(data)
        root = parser.close()
    except DTDForbidden as exc:
        raise ExtractError(
            f"refused: the document declares a DTD (<!DOCTYPE {exc.name}>), where entity "
            "expansion bombs and external entities (XXE) live; nothing was read"
        ) from None
    except EntitiesForbidden as exc:
        raise ExtractError(f"refused: the document declares the entity {exc.name!r}") from None
    except DefusedXmlException as exc:
        raise ExtractError(f"refused: {exc}") from None
    except (LookupError, ValueError) as exc:  # an encoding expat cannot decode
        raise ExtractError(f"unreadable XML: {exc}") from None
    except ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":", 1)[0]
        raise ExtractError(f"malformed XML at line {line} column {column + 1}: {reason}") from None
    if not isinstance(root, XmlNode):
        raise ExtractError("no XML element found")
    return root
