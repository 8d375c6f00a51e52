"""Employee pages of the dossier."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView


@method_decorator(never_cache, name="dispatch")
class DossierHomeView(LoginRequiredMixin, TemplateView):
    """ "Mijn eigen dossier": the documents arrive with the dossier issue; until then the person's own data."""

    template_name = "dossier/home.html"
