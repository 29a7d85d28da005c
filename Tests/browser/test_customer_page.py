"""The customer's page on a 320 px phone, as a customer who got a 1★ reply would use it: the store's
colour and logo (set by the owner in Settings), where things stand, times in their own zone, a photo
of the broken item sent with the reply (drawn upright, scrubbed of its metadata), and the big stars
to update the review. The staff page then shows the photo."""
import os, uuid

from selenium.webdriver.common.by import By

from conftest import click_and_wait, make_driver, screenshot, sign_in
from test_every_page import serious_violations

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "photos")


def test_a_customer_sends_a_photo_and_updates_their_review_on_a_small_phone(careloop):
    # setup: an unhappy customer, and the owner's colour and logo
    run = uuid.uuid4().hex[:6]
    careloop.review(f"photo-{run}@example.com", "Pat Photo", 1, body="The handle snapped.")
    code, listed = careloop.api("GET", "/api/v1/conversations?per_page=100")
    conversation = next(c for c in listed["conversations"] if c["customer"]["email"] == f"photo-{run}@example.com")
    code, one = careloop.api("GET", f"/api/v1/conversations/{conversation['id']}")
    staff = make_driver()
    try:
        sign_in(staff, careloop.base)
        staff.get(careloop.base + "/app/settings#brand")
        colour = staff.find_element(By.ID, "brand-colour")
        colour.clear()
        colour.send_keys("#0b6e4f")
        staff.find_element(By.ID, "brand-logo").send_keys(os.path.abspath(os.path.join(FIXTURES, "note.png")))
        click_and_wait(staff, staff.find_element(By.CSS_SELECTOR, "form[action='/app/settings/brand'] button"))
        assert "notice=saved" in staff.current_url, staff.page_source[:500]

        phone = make_driver(width=320, height=640)
        try:
            # act: the customer opens their page on a 320 px phone
            phone.get(one["page_url"])
            # check: the store's look, a clear state, local times, nothing off the side, no serious axe findings
            accent = phone.execute_script("return getComputedStyle(document.querySelector('button')).backgroundColor")
            assert accent == "rgb(11, 110, 79)", accent
            logo = phone.find_element(By.CSS_SELECTOR, "header img")
            assert phone.execute_script("return arguments[0].complete && arguments[0].naturalWidth", logo) == 30
            assert phone.find_element(By.ID, "state").text.startswith("We're on it")
            when = phone.find_element(By.CSS_SELECTOR, ".msg time").text
            assert when and "UTC" not in when, when
            assert phone.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
            assert not serious_violations(phone)
            screenshot(phone, "customer-page-320")

            # act: reply with a photo taken on a phone (Exif says: turn it a quarter)
            phone.find_element(By.ID, "body").send_keys("This is how it arrived.")
            phone.find_element(By.ID, "photos").send_keys(os.path.abspath(os.path.join(FIXTURES, "phone.jpg")))
            assert "1 photo" in phone.find_element(By.ID, "photos-note").text
            click_and_wait(phone, phone.find_element(By.CSS_SELECTOR, "form[enctype] button[type=submit]"))
            # check: the photo is drawn, upright: 40×20 stored, turned by its kept orientation to 20×40
            photo = phone.find_element(By.CSS_SELECTOR, ".msg.customer .photos img")
            size = phone.execute_script("return [arguments[0].naturalWidth, arguments[0].naturalHeight]", photo)
            assert size == [20, 40], size

            # act: tap the fifth star and update the review
            phone.find_element(By.CSS_SELECTOR, "label[for='star-5']").click()
            click_and_wait(phone, phone.find_element(By.CSS_SELECTOR, "#review button[type=submit]"))
            # check
            assert "Your review is updated" in phone.find_element(By.CSS_SELECTOR, ".thanks").text
            code, review = careloop.api("GET", f"/api/v1/reviews/{one['review_id']}")
            assert code == 200 and review["rating"] == 5, review
        finally:
            phone.quit()

        # check: staff see the photo on the conversation
        staff.get(careloop.base + f"/app/conversations/{conversation['id']}")
        shown = staff.find_element(By.CSS_SELECTOR, ".msg.customer .photos img")
        assert staff.execute_script("return arguments[0].complete && arguments[0].naturalWidth", shown) == 20
    finally:
        staff.get(careloop.base + "/app/settings#brand")
        staff.find_element(By.ID, "brand-colour").clear()
        staff.find_element(By.CSS_SELECTOR, "input[name=remove_logo]").click()
        click_and_wait(staff, staff.find_element(By.CSS_SELECTOR, "form[action='/app/settings/brand'] button"))
        staff.quit()
