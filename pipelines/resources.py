"""Resources: settings from the environment, the warehouse connection and the Hub client."""

from __future__ import annotations

import os

import dagster as dg

from hubsignal.http import HttpFetcher, HttpPolicy
from hubsignal.hub.client import HubClient
from hubsignal.settings import Settings


class HubsignalResource(dg.ConfigurableResource):
    """Everything an asset needs from the outside world, read from the environment at run time.

    The Hub token (HF_TOKEN) is read only inside `hub_client()`: it is never a config field, so it cannot
    show in the launchpad, run metadata or logs.
    """

    def settings(self) -> Settings:
        return Settings.from_env()

    def hub_client(self, quota_per_5min: int | None = None) -> HubClient:
        """quota_per_5min: this client's share of HUBSIGNAL_HUB_QUOTA (default all of it)."""
        s = self.settings()
        policy = HttpPolicy(
            endpoint=s.hf_endpoint,
            timeout_s=s.hub_timeout_s,
            max_attempts=s.hub_max_attempts,
            quota_per_5min=quota_per_5min or s.hub_quota_per_5min,
        )
        return HubClient(policy, token=os.environ.get("HF_TOKEN") or None)

    def livebench_fetcher(self) -> HttpFetcher:
        """Plain GETs to LIVEBENCH_BASE_URL under the same HTTP policy settings as the Hub (no token)."""
        s = self.settings()
        return HttpFetcher(
            HttpPolicy(
                endpoint=s.livebench_base_url,
                timeout_s=s.hub_timeout_s,
                max_attempts=s.hub_max_attempts,
                quota_per_5min=s.hub_quota_per_5min,
            )
        )
