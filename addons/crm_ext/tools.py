# This file is part of the crm_ext module.
"Normalization and masking helpers shared by the crm_ext models"
import hashlib
import re
import unicodedata

from pypinyin import Style, lazy_pinyin
from stdnum.cn import uscc as _uscc

# Longest first: 股份有限公司 must be removed before 有限公司
LEGAL_SUFFIXES = sorted([
        '股份有限公司', '有限责任公司', '集团有限公司', '有限公司', '集团公司',
        '分公司', '公司', '集团',
        'co.,ltd.', 'co.,ltd', 'co.ltd.', 'co.ltd', 'coltd', 'corporation',
        'company', 'limited', 'corp', 'ltd', 'llc', 'inc', 'gmbh',
        ], key=len, reverse=True)
_REMOVE = re.compile(
    r'[\s\(\)\[\]\{\}<>《》【】〔〕〈〉「」『』（）·•・,.，。、\-_/\\&\'"]+')


def name_key(name):
    """Return the comparison key of a customer name

    Full-width characters become half-width (NFKC), case is folded, spaces,
    brackets and punctuation are dropped and legal suffixes such as 有限公司
    are removed, so "北京 星联科技（有限公司）" and "北京星联科技有限公司" give
    the same key."""
    if not name:
        return None
    value = unicodedata.normalize('NFKC', name).casefold()
    compact = _REMOVE.sub('', value)
    changed = True
    while changed and compact:
        changed = False
        for suffix in LEGAL_SUFFIXES:
            suffix = _REMOVE.sub('', suffix)
            if compact.endswith(suffix) and len(compact) > len(suffix):
                compact = compact[:-len(suffix)]
                changed = True
                break
    return compact or None


def pinyin_initials(name):
    "Return the pinyin initials of name: 北京星联 gives bjxl"
    if not name:
        return None
    value = unicodedata.normalize('NFKC', name)
    value = _REMOVE.sub('', value)
    letters = lazy_pinyin(value, style=Style.FIRST_LETTER, errors='default')
    result = ''.join(letters).casefold()
    return re.sub(r'[^0-9a-z]', '', result) or None


def compact_uscc(value):
    if not value:
        return None
    return _uscc.compact(unicodedata.normalize('NFKC', value)).upper()


def is_valid_uscc(value):
    return _uscc.is_valid(value)


def mask_phone(value):
    "Mask a phone number keeping the 3 first and 4 last digits: 138****5678"
    if not value:
        return value
    digits = [i for i, c in enumerate(value) if c.isdigit()]
    if len(digits) <= 7:
        keep = set(digits[-2:])
    else:
        # skip the country code of international formats
        start = 0
        if value.startswith('+'):
            head = value.split(' ', 1)[0] if ' ' in value else value[:3]
            start = len([c for c in head if c.isdigit()])
            if ' ' not in value and value.startswith('+86'):
                start = 2
        national = digits[start:]
        keep = set(digits[:start] + national[:3] + national[-4:])
    return ''.join(
        c if (not c.isdigit() or i in keep) else '*'
        for i, c in enumerate(value))


def mask_email(value):
    if not value or '@' not in value:
        return mask_phone(value) if value else value
    local, domain = value.split('@', 1)
    return (local[:1] + '***@' + domain)


def mask_value(value, type_=None):
    # idempotent: a value read through several masked paths stays readable
    if not value or '*' in value:
        return value
    if type_ == 'email' or (type_ is None and '@' in value):
        return mask_email(value)
    if type_ in {None, 'phone', 'mobile', 'fax', 'sip', 'other'}:
        return mask_phone(value)
    return '***'


def warning_key(name, *values):
    """Return the key of a UserWarning made from the values that raised it

    A new record gets another id at each attempt (and another user's
    records may take the previous one), so a key made from it never matches
    the user's "Yes" (res.user.warning): the key must be made from stable
    values, e.g. the normalized values that matched and the ids of the
    existing records they matched."""
    digest = hashlib.md5(repr(values).encode('utf-8')).hexdigest()
    return '%s.%s' % (digest, name)
