from django.urls import path

from accounts import activation_views, contact_change_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("web-portaal/login/", views.StaffLoginView.as_view(), name="staff-login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("logged-out/", views.LoggedOutView.as_view(), name="logged-out"),
    path("sessions/", views.SessionListView.as_view(), name="sessions"),
    path("session-end/", views.SessionEndView.as_view(), name="session-end"),
    path("sessions/end-all/", views.SessionEndAllView.as_view(), name="sessions-end-all"),
    path("session/idle/", views.IdleStatusView.as_view(), name="idle-status"),
    path("session/keep-alive/", views.KeepAliveView.as_view(), name="keep-alive"),
    path("password-change/", views.PasswordChangeView.as_view(), name="password-change"),
    path("password-reset/", views.PasswordResetRequestView.as_view(), name="password-reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password-reset-done"),
    path("reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
    path("activate/<uidb64>/<token>/", activation_views.ActivateView.as_view(), name="activate"),
    path(
        "contact-change/<str:token>/", contact_change_views.ContactChangeView.as_view(), name="contact-change"
    ),
]
