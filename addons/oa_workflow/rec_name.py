# This file is part of the oa_workflow module.
"""Records found by their name on several fields

A model lists the fields in ``_rec_name_search_fields``::

    class Trip(RecNameSearchMixin, ModelSQL, ModelView):
        _rec_name_search_fields = ['destination', 'vehicle.plate']

A search on ``rec_name`` finds the records of which one of the fields
matches; with a negative operator (``!=``, ``not ilike``, ...) those of
which none matches."""


class RecNameSearchMixin(object):
    "Search rec_name on the fields of _rec_name_search_fields"
    __slots__ = ()
    _rec_name_search_fields = []

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, *operands = clause
        bool_op = 'AND' if operator.startswith(('!', 'not ')) else 'OR'
        return [bool_op] + [
            (field, operator, *operands)
            for field in cls._rec_name_search_fields]
