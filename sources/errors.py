"""Errors a source can raise while it is fetched or parsed.

    SourceError                      base; `error_class` is the stable name stored on the poll
    ├── TransientError               retry later: the next poll backs off and tries again
    │   ├── FetchTimeout             connect or read timeout
    │   ├── ConnectionFailed         refused, reset, DNS failure
    │   ├── ServerError              HTTP 5xx (after the fetcher's own retries)
    │   └── RateLimited              HTTP 429 (Retry-After or not) / 503 with a long Retry-After
    └── PermanentError               the source needs a human: keep probing, but alert
        ├── ClientError              HTTP 4xx other than 404/410/429
        ├── Gone                     HTTP 404 or 410: the page moved or was removed
        ├── InvalidUrl               not an absolute http(s) URL, or a redirect to one
        ├── AddressRefused           the host is or resolves to an address the outbound policy refuses
        ├── BlockedByRobots          robots.txt disallows the URL for our User-Agent
        ├── TooLarge                 the body passed the size cap while streaming
        ├── TooManyRedirects         redirect loop or chain over the limit
        ├── UnexpectedContent        wrong content type, empty body, a page the browser could not open
        ├── BrowserUnavailable       Chromium (fetch: browser) could not be started, or Playwright is missing
        └── ParseError               the page as a whole could not be read (malformed XML, invalid JSON)

Transient vs permanent only changes how the next poll is planned and how loudly
the health state speaks; no source is ever dropped because of an error.
"""

from __future__ import annotations

__all__ = [
    "AddressRefused",
    "BlockedByRobots",
    "BrowserUnavailable",
    "ClientError",
    "ConnectionFailed",
    "FetchTimeout",
    "Gone",
    "InvalidUrl",
    "ParseError",
    "PermanentError",
    "RateLimited",
    "ServerError",
    "SourceError",
    "TooLarge",
    "TooManyRedirects",
    "TransientError",
    "UnexpectedContent",
]


class SourceError(Exception):
    """Base of everything a source adapter raises on purpose."""

    error_class = "source_error"
    transient = False

    def __init__(self, message: str, *, url: str | None = None, http_status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url
        self.http_status = http_status

    def __str__(self) -> str:
        return f"{self.message} ({self.url})" if self.url else self.message


class TransientError(SourceError):
    error_class = "transient"
    transient = True


class FetchTimeout(TransientError):
    error_class = "timeout"


class ConnectionFailed(TransientError):
    error_class = "connection"


class ServerError(TransientError):
    error_class = "http_5xx"


class RateLimited(TransientError):
    error_class = "rate_limited"

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        http_status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, url=url, http_status=http_status)
        self.retry_after = retry_after


class PermanentError(SourceError):
    error_class = "permanent"


class ClientError(PermanentError):
    error_class = "http_4xx"


class Gone(PermanentError):
    error_class = "gone"


class InvalidUrl(PermanentError):
    error_class = "invalid_url"


class AddressRefused(PermanentError):
    """Raised before any byte is sent: by the URL check for a literal address, by the connect for a resolved one."""

    error_class = "address_refused"


class BlockedByRobots(PermanentError):
    error_class = "robots"


class TooLarge(PermanentError):
    error_class = "too_large"


class TooManyRedirects(PermanentError):
    error_class = "redirects"


class UnexpectedContent(PermanentError):
    error_class = "content"


class BrowserUnavailable(PermanentError):
    error_class = "browser"


class ParseError(PermanentError):
    error_class = "parse"
