def booking_assign_collector(*, booking, collector, by):
    raise NotImplementedError


def booking_confirm(*, booking, by):
    raise NotImplementedError


def booking_mark_collected(*, booking, by, failed_item_ids=(), latitude=None, longitude=None):
    raise NotImplementedError


def item_receive(*, item, by):
    raise NotImplementedError


def item_start_processing(*, item, by):
    raise NotImplementedError


def report_upload(*, item, file, by, findings=""):
    raise NotImplementedError


def report_verify(*, report, by):
    raise NotImplementedError


def report_deliver(*, report, by):
    raise NotImplementedError
