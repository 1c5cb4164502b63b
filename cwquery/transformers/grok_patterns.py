r"""The grok pattern catalogue of spec §2.6, written for RE2.

Each definition is an RE2 regular expression that may name other patterns as ``%{NAME}``.
Two private markers, rewritten when a match is compiled (:mod:`cwquery.transformers.grok`):
``(?X:name:…)`` captures an extra field ``name`` when the pattern is used directly in a match
(``HOSTPORT`` adds ``PORT``), and ``(?V:…)`` is the part of the text the pattern's own field
receives (``QUOTEDSTRING`` without its quotes). Nested references keep neither marker.

Where the usual grok definitions use look-around or atomic groups, which RE2 does not have,
these use word boundaries (``\b``) or nothing; docs/transformers.md lists the differences.
"""

from __future__ import annotations

from typing import Final

_H4 = "[0-9A-Fa-f]{1,4}"
_V6_TAIL = f"(?::{_H4})"

#: Pattern name -> definition.
PATTERNS: Final[dict[str, str]] = {
    # general
    "USERNAME": r"[a-zA-Z0-9._-]+",
    "USER": r"%{USERNAME}",
    "INT": r"[+-]?[0-9]+",
    "BASE10NUM": r"[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)",
    "NUMBER": r"%{BASE10NUM}",
    "BASE16NUM": r"[+-]?(?:0x)?[0-9A-Fa-f]+",
    "POSINT": r"[1-9][0-9]*",
    "NONNEGINT": r"[0-9]+",
    "WORD": r"\b\w+\b",
    "NOTSPACE": r"\S+",
    "SPACE": r"\s*",
    "DATA": r".*?",
    "GREEDYDATA": r".*",
    "GREEDYDATA_MULTILINE": r"(?s:.*)",
    "QUOTEDSTRING": (
        r'"(?V:(?:[^"\\]|\\.)*)"' r"|'(?V:(?:[^'\\]|\\.)*)'" r"|`(?V:(?:[^`\\]|\\.)*)`"
    ),
    "UUID": r"[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}",
    "URN": r"urn:[0-9A-Za-z][0-9A-Za-z-]{0,31}:(?:%[0-9a-fA-F]{2}|[0-9A-Za-z()+,.:=@;$_!*'/?#-])+",
    # AWS
    "ARN": r"arn:(?:aws|aws-cn|aws-us-gov)(?::[^:\s]+){4,}",
    # network
    "CISCOMAC": r"(?:[A-Fa-f0-9]{4}\.){2}[A-Fa-f0-9]{4}",
    "WINDOWSMAC": r"(?:[A-Fa-f0-9]{2}-){5}[A-Fa-f0-9]{2}",
    "COMMONMAC": r"(?:[A-Fa-f0-9]{2}:){5}[A-Fa-f0-9]{2}",
    "MAC": r"%{CISCOMAC}|%{WINDOWSMAC}|%{COMMONMAC}",
    "IPV4": (
        r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}"
        r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
    ),
    "IPV6": "|".join(
        [
            f"(?:{_H4}:){{7}}{_H4}",
            f"(?:{_H4}:){{6}}%{{IPV4}}",
            f"(?:{_H4}:){{1,7}}:",
            f"(?:{_H4}:){{1,6}}{_V6_TAIL}",
            f"(?:{_H4}:){{1,5}}{_V6_TAIL}{{1,2}}",
            f"(?:{_H4}:){{1,4}}{_V6_TAIL}{{1,3}}",
            f"(?:{_H4}:){{1,4}}:%{{IPV4}}",
            f"(?:{_H4}:){{1,3}}{_V6_TAIL}{{1,4}}",
            f"(?:{_H4}:){{1,2}}{_V6_TAIL}{{1,5}}",
            f"{_H4}:{_V6_TAIL}{{1,6}}",
            f":(?:{_V6_TAIL}{{1,7}}|:)",
            "::(?:[Ff]{4}(?::0{1,4})?:)?%{IPV4}",
            "[Ff][Ee]80:(?::[0-9A-Fa-f]{0,4}){0,4}%[0-9A-Za-z]+",
        ]
    ),
    "IP": r"%{IPV6}|%{IPV4}",
    "HOSTNAME": r"\b[0-9A-Za-z][0-9A-Za-z-]{0,62}(?:\.[0-9A-Za-z][0-9A-Za-z-]{0,62})*\.?",
    "HOST": r"%{HOSTNAME}",
    "IPORHOST": r"%{IP}|%{HOSTNAME}",
    "HOSTPORT": r"%{IPORHOST}:(?X:PORT:%{POSINT})",
    "URIHOST": r"%{IPORHOST}(?::(?X:port:%{POSINT}))?",
    # paths
    "UNIXPATH": r"(?:/[\w_%!$@:.,+~-]*)+",
    "WINPATH": r"(?:[A-Za-z]+:|\\)(?:\\[^\\?*]*)+",
    "PATH": r"%{UNIXPATH}|%{WINPATH}",
    "TTY": r"/dev/(?:pts|tty[pq]?)(?:\w+)?/?[0-9]+",
    "URIPROTO": r"[A-Za-z][A-Za-z0-9+.-]+",
    "URIPATH": r"(?:/[A-Za-z0-9$.+!*'(){},~:;=@#%&_-]*)+",
    "URIPARAM": r"\?[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\[\]<>-]*",
    "URIPATHPARAM": r"%{URIPATH}(?:%{URIPARAM})?",
    "URI": r"%{URIPROTO}://(?:%{USER}(?::[^@]*)?@)?(?:%{URIHOST})?(?:%{URIPATHPARAM})?",
    # date and time
    "MONTH": (
        r"\b(?:[Jj]an(?:uary|uar)?|[Ff]eb(?:ruary|ruar)?|[Mm](?:a|ä)?r(?:ch|z)?|[Aa]pr(?:il)?"
        r"|[Mm]a(?:y|i)?|[Jj]un(?:e|i)?|[Jj]ul(?:y|i)?|[Aa]ug(?:ust)?|[Ss]ep(?:tember)?"
        r"|[Oo](?:c|k)?t(?:ober)?|[Nn]ov(?:ember)?|[Dd]e(?:c|z)(?:ember)?)\b"
    ),
    "MONTHNUM": r"0?[1-9]|1[0-2]",
    "MONTHNUM2": r"0[1-9]|1[0-2]",
    "MONTHDAY": r"0[1-9]|[12][0-9]|3[01]|[1-9]",
    "YEAR": r"(?:\d\d){1,2}",
    "DAY": (
        r"Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?"
        r"|Sat(?:urday)?|Sun(?:day)?"
    ),
    "HOUR": r"2[0123]|[01]?[0-9]",
    "MINUTE": r"[0-5][0-9]",
    "SECOND": r"(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?",
    "TIME": r"%{HOUR}:%{MINUTE}:%{SECOND}",
    "DATE_US": r"%{MONTHNUM}[/-]%{MONTHDAY}[/-]%{YEAR}",
    "DATE_EU": r"%{MONTHDAY}[./-]%{MONTHNUM}[./-]%{YEAR}",
    "ISO8601_TIMEZONE": r"Z|[+-]%{HOUR}(?::?%{MINUTE})",
    "ISO8601_SECOND": r"%{SECOND}",
    "TIMESTAMP_ISO8601": (
        r"%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?"
        r"%{ISO8601_TIMEZONE}?"
    ),
    "DATE": r"%{DATE_US}|%{DATE_EU}",
    "DATESTAMP": r"%{DATE}[- ]%{TIME}",
    "TZ": r"[APMCE][SD]T|UTC",
    "DATESTAMP_RFC822": r"%{DAY} %{MONTH} %{MONTHDAY} %{YEAR} %{TIME} %{TZ}",
    "DATESTAMP_RFC2822": r"%{DAY}, %{MONTHDAY} %{MONTH} %{YEAR} %{TIME} %{ISO8601_TIMEZONE}",
    "DATESTAMP_OTHER": r"%{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{TZ} %{YEAR}",
    "DATESTAMP_EVENTLOG": r"%{YEAR}%{MONTHNUM2}%{MONTHDAY}%{HOUR}%{MINUTE}%{SECOND}",
    # log files
    "LOGLEVEL": (
        r"[Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE"
        r"|[Ii]nfo(?:rmation)?|INFO(?:RMATION)?|[Ww]arn(?:ing)?|WARN(?:ING)?"
        r"|[Ee]rr(?:or)?|ERR(?:OR)?|[Cc]rit(?:ical)?|CRIT(?:ICAL)?|[Ff]atal|FATAL"
        r"|[Ss]evere|SEVERE|EMERG(?:ENCY)?|[Ee]merg(?:ency)?"
    ),
    "HTTPDATE": r"%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} %{INT}",
    "SYSLOGTIMESTAMP": r"%{MONTH} +%{MONTHDAY} %{TIME}",
    "PROG": r"[\x21-\x5a\x5c\x5e-\x7e]+",
    "SYSLOGPROG": r"(?X:program:%{PROG})(?:\[(?X:pid:%{POSINT})\])?",
    "SYSLOGHOST": r"%{IPORHOST}",
    "SYSLOGFACILITY": r"<(?X:facility:%{NONNEGINT})\.(?X:priority:%{NONNEGINT})>",
}

#: The common-log patterns: whole-line formats with fixed output fields (spec §2.6).
COMMON_LOG: Final = ("APACHE_ACCESS_LOG", "NGINX_ACCESS_LOG", "SYSLOG5424")

#: What may follow a common-log pattern (at most one of them).
AFTER_COMMON_LOG: Final = frozenset({"DATA", "GREEDYDATA", "GREEDYDATA_MULTILINE"})

#: Patterns with a per-match use limit below the default (spec §2.6).
USE_LIMITS: Final[dict[str, int]] = {
    **dict.fromkeys(
        [
            "NOTSPACE",
            "SPACE",
            "DATA",
            "GREEDYDATA",
            "IPV6",
            "IP",
            "HOSTNAME",
            "HOST",
            "IPORHOST",
            "HOSTPORT",
            "URIHOST",
            "URIPARAM",
            "URIPATHPARAM",
            "URI",
            "WINPATH",
            "PATH",
            "SYSLOGHOST",
            "ARN",
        ],
        5,
    ),
    **dict.fromkeys(("GREEDYDATA_MULTILINE", *COMMON_LOG), 1),
}
#: The limit of every other pattern.
DEFAULT_USE_LIMIT: Final = 20
#: The patterns counted together, and their shared limit.
SHARED_LIMIT_GROUP: Final = frozenset(
    {"URI", "URIPARAM", "URIPATHPARAM", "SPACE", "DATA", "GREEDYDATA", "GREEDYDATA_MULTILINE"}
)
SHARED_LIMIT: Final = 5
#: At most this many patterns in one match.
MAX_PATTERNS: Final = 20

#: Every accepted name.
NAMES: Final = frozenset(PATTERNS) | frozenset(COMMON_LOG)
