"""The Web Portaal's side of contact changes (dossier/account_rules.py rule 8): the notice after staff asked one,
the pending request on the employee's page, and the page where other provider staff confirm or reject it with a
reason. The writes are accounts.services'; who may decide is account_rules'."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import services as account_services
from accounts.models import ContactChange
from core.throttling import client_ip
from dossier import account_rules


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        min_length=10,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60, "aria-describedby": "id_reason_helptext"}),
        help_text=gettext_lazy(
            "How you made sure the employee wants this (for example: called the employee on the number in the "
            "dossier on which date). It is kept in the audit log."
        ),
    )
    decision = forms.ChoiceField(
        choices=(("confirm", "confirm"), ("reject", "reject")), widget=forms.HiddenInput
    )


def pending(user) -> ContactChange | None:
    return (
        ContactChange.objects.select_related("requested_by")
        .filter(user=user, state=ContactChange.State.PENDING)
        .first()
    )


def notice_after_save(model_admin, request, user) -> None:
    """Right after a save that asked a change: say that nothing changed yet, and how it will."""
    if (change := pending(user)) is None or change.requested_by_id != request.user.pk:
        return
    notice = _(
        "The new email address or mobile number has not been saved yet: the employee must confirm it first through "
        "the mail we sent to the current address, or another staff member of the provider confirms it with a "
        "reason. Until then every mail, link and code goes to the current details."
    )
    model_admin.message_user(request, notice, level=messages.WARNING)


def decide_view(model_admin, request, object_id):
    """GET: the request and the form; POST: confirm or reject it with a reason (rule 8 b)."""
    user = (
        model_admin.get_queryset(request).filter(pk=object_id).first() if str(object_id).isdigit() else None
    )
    if user is None:
        account_rules.refused(
            request.user, action="decide contact change: not in scope", ip=client_ip(request)
        )
        raise Http404
    change = pending(user)
    if change is None:
        raise Http404
    if not account_rules.may_decide_contact_change(request.user, change):
        account_rules.refused(
            request.user, action="decide contact change", subject=user, ip=client_ip(request)
        )
        raise PermissionDenied
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirm = form.cleaned_data["decision"] == "confirm"
        try:
            account_services.contact_change_decide(
                change=change,
                confirm=confirm,
                actor=request.user,
                ip=client_ip(request),
                reason=form.cleaned_data["reason"],
            )
        except account_services.ContactChangeError as error:
            form.add_error(None, str(error))
        else:
            model_admin.message_user(
                request,
                _("The change was made; the employee was told at the old address.")
                if confirm
                else _("The change was rejected; nothing was changed."),
            )
            return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[user.pk]))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Confirm or reject a change of contact details"),
        "subject": user,
        "change": change,
        "form": form,
    }
    return TemplateResponse(request, "admin/accounts/user/contact_change.html", context)
