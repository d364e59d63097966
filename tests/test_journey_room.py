"""Journey: a room booking that overlaps a confirmed one (OA-E1)

In the web client, `office` books the big room for a period overlapping the
demo's confirmed 销售周例会 of tomorrow: the message names the other booking
(its subject, its time in the company's timezone and who booked it) and the
room stays booked only by it (read over JSON-RPC). One browser session; a
screenshot is saved on failure."""
import datetime as dt
import time
import unittest
import zoneinfo

from tests.browser import BrowserTestCase

SHANGHAI = zoneinfo.ZoneInfo('Asia/Shanghai')
ACTIVE = ['waiting', 'confirmed', 'checked_in']



def local(value):
    "The Shanghai time of a UTC date-time read over JSON-RPC"
    return value.replace(tzinfo=dt.timezone.utc).astimezone(SHANGHAI)


def to_datetime(value):
    "A date-time of Tryton's JSON-RPC answer (a dict with __class__)"
    if isinstance(value, dict):
        return dt.datetime(value['year'], value['month'], value['day'],
            value['hour'], value['minute'], value['second'])
    return value


class RoomJourneyTestCase(BrowserTestCase):
    "Room conflict: the message names the other booking"

    def test_room_conflict(self):
        server = self.server
        subject = "部门例会 %s" % int(time.time())
        office = server.login('office')
        other, = server.rpc('model.oa.meeting.booking.search_read', [
                [('subject', '=', "销售周例会"),
                    ('state', '=', 'confirmed')], 0, 1, None,
                ['room', 'room.name', 'start', 'end', 'organizer.name'], {}],
            office)
        start, end = (local(to_datetime(other[n])) for n in ['start', 'end'])
        mine = start + dt.timedelta(minutes=30)

        self.use_timezone('Asia/Shanghai')
        self.login('office')
        self.open_menu_named('office', 'My Bookings')
        self.new_record('organizer')
        self.fill('subject', subject)
        self.choose('room', other['room.']['name'])
        self.fill('start', mine.strftime('%Y-%m-%d %H:%M:%S'))
        self.fill('end', (mine + dt.timedelta(hours=1)).strftime(
                '%Y-%m-%d %H:%M:%S'))
        self.button('book')

        message = self.dialog_text()
        self.assertIn("销售周例会", message)
        self.assertIn(other['organizer.']['name'], message)
        self.assertIn(other['room.']['name'], message)
        self.assertIn(start.strftime('%Y-%m-%d %H:%M'), message)
        self.assertIn(end.strftime('%H:%M'), message)
        self.close_dialog()

        # the room is held by the other booking only; nothing is saved
        holding = server.rpc('model.oa.meeting.booking.search_read', [
                [('room', '=', other['room']), ('state', 'in', ACTIVE),
                    ('start', '<', to_datetime(other['end'])),
                    ('end', '>', to_datetime(other['start']))],
                0, None, None, ['subject', 'state'], {}], office)
        self.assertEqual([b['subject'] for b in holding], ["销售周例会"])
        attempts = server.rpc('model.oa.meeting.booking.search_read', [
                [('subject', '=', subject)], 0, None, None, ['state'], {}],
            office)
        self.assertEqual(attempts, [])


if __name__ == '__main__':
    unittest.main()
