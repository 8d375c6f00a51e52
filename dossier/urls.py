from django.urls import path

from dossier import views

app_name = "dossier"

urlpatterns = [
    path("", views.DossierHomeView.as_view(), name="home"),
    path("documents/<uuid:pk>/", views.DocumentPageView.as_view(), name="document"),
    path("documents/<uuid:pk>/file/", views.DocumentFileView.as_view(), name="document-file"),
    path("documents/<uuid:pk>/respond/", views.DocumentRespondView.as_view(), name="document-respond"),
    path(
        "documents/<uuid:pk>/responses/<uuid:response_pk>/file/",
        views.ResponseFileView.as_view(),
        name="response-file",
    ),
    path("appointments/<uuid:pk>/", views.AppointmentView.as_view(), name="appointment"),
    path("appointments/<uuid:pk>/answer/", views.AppointmentAnswerView.as_view(), name="appointment-answer"),
    path(
        "appointments/<uuid:pk>/calendar.ics", views.AppointmentCalendarView.as_view(), name="appointment-ics"
    ),
    path("access-log/", views.AccessLogView.as_view(), name="access-log"),
    path("export/", views.DossierExportView.as_view(), name="export"),
    path("export/<uuid:pk>/download/", views.DossierExportDownloadView.as_view(), name="export-download"),
]
