from datetime import date
from tests.test_staff_billing import *  # noqa

def test_peek(client, make, admin):
    invoice = issue_invoice(make.club("mermoz"))
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    open("/tmp/cat.html", "w").write(client.get("/staff/catalogue").get_data(as_text=True))
    data = price_form(date.today()); data[f"base_fee_{offer_ids()['business']}"] = "12.345"
    open("/tmp/cat422.html", "w").write(publish(client, data).get_data(as_text=True))
    open("/tmp/inv.html", "w").write(client.get(f"/staff/invoices/{invoice.number}").get_data(as_text=True))
    r = credit(client, invoice, [])
    open("/tmp/inv422.html", "w").write(r.get_data(as_text=True))
    open("/tmp/client.html", "w").write(client.get("/staff/clients/mermoz").get_data(as_text=True))
