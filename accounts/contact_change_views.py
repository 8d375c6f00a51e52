"""The employee's side of a contact change asked by staff (dossier/account_rules.py rule 8): the link mailed to the
address they proved shows what was asked and by whom; "Ja, dit klopt" applies it, "Nee" rejects it.

A GET changes nothing (mail scanners open links); the decision is a POST with the page's CSRF token.
"""

from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.generic import TemplateView

from accounts import services
from core.throttling import client_ip

DECISIONS = {"confirm": True, "reject": False}


@method_decorator([csrf_protect, never_cache], name="dispatch")
class ContactChangeView(TemplateView):
    template_name = "accounts/contact_change.html"

    def dispatch(self, request, *args, **kwargs):
        self.change = services.contact_change_from_token(kwargs["token"])
        if self.change is None:
            return self.render_to_response(self.get_context_data(invalid=True), status=404)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        change = getattr(self, "change", None)
        return super().get_context_data(change=change, **kwargs)

    def post(self, request, *args, **kwargs):
        decision = DECISIONS.get(request.POST.get("decision", ""))
        if decision is None:
            return self.render_to_response(self.get_context_data(missing_choice=True), status=400)
        try:
            services.contact_change_decide(
                change=self.change, confirm=decision, actor=None, ip=client_ip(request)
            )
        except services.ContactChangeError as error:
            return self.render_to_response(self.get_context_data(error=str(error)), status=409)
        return self.render_to_response(self.get_context_data(decided=True, confirmed=decision))
