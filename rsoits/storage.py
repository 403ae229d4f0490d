"""Static files storage of production (DEBUG=0): WhiteNoise's compressed manifest storage."""

from __future__ import annotations

import logging

from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Vendored CSS and JavaScript name a few files that are not shipped with them (source maps,
    USWDS's hero image). ``collectstatic`` leaves such a reference as written, with a warning,
    instead of failing the whole deployment on it."""

    def url_converter(self, name, hashed_files, template=None):
        convert = super().url_converter(name, hashed_files, template)

        def converter(matchobj):
            try:
                return convert(matchobj)
            except ValueError as exc:  # whitenoise's MissingFileError
                logger.warning("%s: reference left unhashed: %s", name, exc.args[0] if exc.args else exc)
                return matchobj.groupdict()["matched"]

        return converter
