"""Trust in LogiKal's project changedDate: earned from evidence, checked all along.

Whether LogiKal moves a project's ``changedDate`` when something inside the project changes is
not documented. When it does, an unchanged changedDate in a directory listing proves an
unchanged subtree, and the mirror can skip listing its phases and elevations (it *vouches* for
them: ``syncapp.sync.directory``). The project config's ``trust_changed_date`` says whether to rely
on it: ``off``, ``on``, or ``auto``: rely on it once the evidence holds (at least
``CONFIRMATIONS_NEEDED`` confirmations and no violation).

Evidence comes from phase listings (``syncapp.sync.trust``): a listing that finds an elevation
created, removed or with a new changedDate records a *confirmation* when its project's changedDate
had moved since that phase was last listed, a *violation* when it had not. One violation ends
``auto`` trust until staff start the evidence afresh (the config admin's action).
"""

from dataclasses import dataclass

from django.db import models

from .config import TrustMode

CONFIRMATIONS_NEEDED = 50


class ChangedDateEvidence(models.Model):
    """The one row (pk 1) of what phase listings taught about the project changedDate."""

    confirmations = models.PositiveIntegerField(
        "confirmations", default=0,
        help_text="Phase listings that found changed elevations in a project whose changedDate had moved.")
    violations = models.PositiveIntegerField(
        "violations", default=0,
        help_text="Phase listings that found changed elevations in a project whose changedDate had not moved.")
    last_confirmation_at = models.DateTimeField("last confirmation", null=True, blank=True)
    last_violation_at = models.DateTimeField("last violation", null=True, blank=True)
    last_violation_project = models.ForeignKey(
        "syncapp.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name="project of the last violation")
    last_violation = models.CharField("last violation (what was found)", max_length=500, blank=True)
    swept_projects = models.PositiveIntegerField(
        "projects swept", default=0,
        help_text="Unchanged projects whose phases the background sweep listed to look for violations.")
    last_sweep_at = models.DateTimeField("last sweep", null=True, blank=True)
    started_at = models.DateTimeField("gathered since", null=True, blank=True)

    class Meta:
        verbose_name = "changedDate evidence"
        verbose_name_plural = "changedDate evidence"
        constraints = [models.CheckConstraint(name="changed_date_evidence_single_row", condition=models.Q(pk=1))]

    def __str__(self) -> str:
        return f"{self.confirmations} confirmations, {self.violations} violations"


def evidence() -> ChangedDateEvidence:
    return ChangedDateEvidence.objects.get_or_create(pk=1)[0]


@dataclass(frozen=True)
class TrustState:
    mode: str
    trusted: bool
    evidence: ChangedDateEvidence

    @property
    def warning(self) -> str:
        """What the dashboard says when the evidence speaks against the configured trust ("" when nothing)."""
        ev = self.evidence
        if not ev.violations or self.mode == TrustMode.OFF:
            return ""
        facts = [f"project {ev.last_violation_project}" if ev.last_violation_project else "",
                 f"{ev.last_violation_at:%d %b %H:%M} UTC" if ev.last_violation_at else ""]
        where = f" ({', '.join(fact for fact in facts if fact)})" if any(facts) else ""
        if self.mode == TrustMode.AUTO:
            return (f"LogiKal changed elevations without moving the project's changedDate{where}: unchanged "
                    "projects are listed in full again (trust in changedDate: auto, now off).")
        return (f"LogiKal changed elevations without moving the project's changedDate{where}, but trust in "
                "changedDate is on: such changes are only seen at the elevations' own interval.")

    @property
    def summary(self) -> str:
        ev = self.evidence
        verdict = "trusted" if self.trusted else "not trusted"
        return (f"{self.mode}: {verdict}; {ev.confirmations} confirmations ({CONFIRMATIONS_NEEDED} needed), "
                f"{ev.violations} violations")


def trust_state(configs=None) -> TrustState:
    """The configured mode with the evidence, and whether directory listings vouch now."""
    from .config import ObjectSyncConfig

    configs = configs or ObjectSyncConfig.objects.as_map()
    mode = configs["project"].trust_changed_date
    ev = evidence()
    if mode == TrustMode.ON:
        trusted = True
    elif mode == TrustMode.AUTO:
        trusted = ev.violations == 0 and ev.confirmations >= CONFIRMATIONS_NEEDED
    else:
        trusted = False
    return TrustState(mode, trusted, ev)
