from django.contrib import admin
from django.urls import include, path

from helpline.accounts.signin import AdminSignInForm
from helpline.api.v1 import api

admin.site.site_header = "Helpline administration"
admin.site.site_title = "Helpline"
admin.site.login_form = AdminSignInForm  # the same brute-force throttle as /login/

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("inbound/providers/", include("anymail.urls")),
    path("", include("helpline.web.urls")),
]
