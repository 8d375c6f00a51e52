from django.urls import path

from twofactor import passkey_views, settings_views, setup_views, views

app_name = "twofactor"

urlpatterns = [
    path("twofactor/", views.StartView.as_view(), name="start"),
    path("twofactor/setup/", setup_views.SetupView.as_view(), name="setup"),
    path("twofactor/setup/sms/", setup_views.SetupSMSView.as_view(), name="setup-sms"),
    path("twofactor/setup/sms/send/", setup_views.SetupSMSSendView.as_view(), name="setup-sms-send"),
    path("twofactor/setup/app/", setup_views.SetupAppView.as_view(), name="setup-app"),
    path("twofactor/setup/passkey/", passkey_views.PasskeySetupView.as_view(), name="setup-passkey"),
    path(
        "twofactor/setup/passkey/done/", passkey_views.PasskeyEnrolledView.as_view(), name="passkey-enrolled"
    ),
    path("twofactor/recovery-codes/", views.RecoveryCodesView.as_view(), name="recovery-codes"),
    path(
        "twofactor/recovery-codes/download/",
        views.RecoveryCodesDownloadView.as_view(),
        name="recovery-codes-download",
    ),
    path("twofactor/verify/", views.VerifyView.as_view(), name="verify"),
    path("twofactor/verify/resend/", views.VerifyResendView.as_view(), name="verify-resend"),
    path("account/settings/", settings_views.SettingsView.as_view(), name="settings"),
    path("account/settings/reauth/", settings_views.ReauthView.as_view(), name="reauth"),
    path(
        "account/settings/reauth/send-sms/",
        settings_views.ReauthSendSMSView.as_view(),
        name="reauth-send-sms",
    ),
    path("account/settings/reset/", settings_views.ResetView.as_view(), name="reset"),
    path("account/settings/reset/cancel/", settings_views.CancelResetView.as_view(), name="reset-cancel"),
    path(
        "account/settings/passkeys/<int:pk>/rename/",
        passkey_views.PasskeyRenameView.as_view(),
        name="passkey-rename",
    ),
    path(
        "account/settings/passkeys/<int:pk>/remove/",
        passkey_views.PasskeyRemoveView.as_view(),
        name="passkey-remove",
    ),
    path(
        "account/settings/recovery-codes/",
        settings_views.NewRecoveryCodesView.as_view(),
        name="new-recovery-codes",
    ),
    # own mobile number
    path("account/settings/mobile/", settings_views.MobileView.as_view(), name="mobile"),
    path("account/settings/mobile/send/", settings_views.MobileSendView.as_view(), name="mobile-send"),
    path(
        "account/settings/mobile/confirm/", settings_views.MobileConfirmView.as_view(), name="mobile-confirm"
    ),
    path("account/settings/mobile/cancel/", settings_views.MobileCancelView.as_view(), name="mobile-cancel"),
]
