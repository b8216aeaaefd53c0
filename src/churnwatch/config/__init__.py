"""``churnwatch.toml``: pydantic models, lookup, and error messages that name the key path."""

from churnwatch.config.files import (
    CONFIG_NAME,
    check_exports_folder,
    find_config,
    load_config,
    parse_config,
    read_toml,
)
from churnwatch.config.models import (
    Config,
    CustomerIds,
    Email,
    History,
    Language,
    Lifecycle,
    Loyal,
    Report,
    Risk,
    RuleConfig,
    SourceConfig,
    Sources,
    Windows,
)

__all__ = [
    "CONFIG_NAME",
    "Config",
    "CustomerIds",
    "Email",
    "History",
    "Language",
    "Lifecycle",
    "Loyal",
    "Report",
    "Risk",
    "RuleConfig",
    "SourceConfig",
    "Sources",
    "Windows",
    "check_exports_folder",
    "find_config",
    "load_config",
    "parse_config",
    "read_toml",
]
