from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from common.page_cache import purge

from .consent import POLICY_KEY, forget_policy
from .models import ConsentPolicy, CookieCategory, CookieDeclaration


@receiver([post_save, post_delete], sender=CookieCategory)
@receiver([post_save, post_delete], sender=CookieDeclaration)
@receiver([post_save, post_delete], sender=ConsentPolicy)
def policy_changed(sender, **kwargs):
    """The banner, the cookies page and cached pages reflect the new policy."""
    forget_policy()
    purge(POLICY_KEY)
