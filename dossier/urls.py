from django.urls import path

from dossier import views

app_name = "dossier"

urlpatterns = [
    path("", views.DossierHomeView.as_view(), name="home"),
    path("documents/<uuid:pk>/", views.DocumentView.as_view(), name="document"),
    path("access-log/", views.AccessLogView.as_view(), name="access-log"),
]
