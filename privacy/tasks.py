from celery import shared_task

from privacy.services import closed_accounts_anonymise


@shared_task(acks_late=True)
def closed_accounts_anonymise_task() -> int:
    return closed_accounts_anonymise()
