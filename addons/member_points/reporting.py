# This file is part of the member_points module.
import datetime as dt
import io

from dateutil.relativedelta import relativedelta
from sql import Literal, Null
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import DateTrunc

from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction
from trytond.wizard import Button, StateView, Wizard


class Context(ModelView):
    "Member Points Reporting Context"
    __name__ = 'member.points.reporting.context'

    from_date = fields.Date("From Date",
        domain=[
            If(Eval('to_date') & Eval('from_date'),
                ('from_date', '<=', Eval('to_date')),
                ()),
            ])
    to_date = fields.Date("To Date",
        domain=[
            If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')),
                ()),
            ])
    period = fields.Selection([
            ('year', "Year"),
            ('month', "Month"),
            ('day', "Day"),
            ], "Period", required=True)

    @classmethod
    def default_from_date(cls):
        pool = Pool()
        Date = pool.get('ir.date')
        context = Transaction().context
        if 'from_date' in context:
            return context['from_date']
        return Date.today() - relativedelta(years=1)

    @classmethod
    def default_to_date(cls):
        pool = Pool()
        Date = pool.get('ir.date')
        context = Transaction().context
        if 'to_date' in context:
            return context['to_date']
        return Date.today()

    @classmethod
    def default_period(cls):
        return Transaction().context.get('period', 'month')


def _date_where(column):
    context = Transaction().context
    where = Literal(True)
    if context.get('from_date'):
        where &= column >= context['from_date']
    if context.get('to_date'):
        where &= column <= context['to_date']
    return where


class PointsReporting(ModelSQL, ModelView):
    "Member Points per Period"
    __name__ = 'member.points.reporting'

    date = fields.Date("Date")
    issued = fields.Integer("Issued")
    redeemed = fields.Integer("Redeemed")
    expired = fields.Integer("Expired")
    reversed = fields.Integer("Reversed")
    net = fields.Integer("Net Change")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('date', 'ASC'))

    @classmethod
    def table_query(cls):
        pool = Pool()
        Line = pool.get('member.points.line')
        context = Transaction().context
        line = Line.__table__()
        date = cls.date.sql_cast(
            DateTrunc(context.get('period', 'month'), line.date))
        issued = (line.type.in_(['earn', 'referral', 'birthday'])
            | ((line.type == 'adjust') & (line.points > 0)))
        return line.select(
            Min(line.id).as_('id'),
            date.as_('date'),
            Sum(Case((issued, line.points), else_=0)).as_('issued'),
            Sum(Case((line.type == 'redeem', -line.points), else_=0)
                ).as_('redeemed'),
            Sum(Case((line.type == 'expire', -line.points), else_=0)
                ).as_('expired'),
            Sum(Case((line.type == 'reverse', line.points), else_=0)
                ).as_('reversed'),
            Sum(line.points).as_('net'),
            where=_date_where(line.date),
            group_by=[date.as_('date')])


class TierReporting(ModelSQL, ModelView):
    "Members per Tier"
    __name__ = 'member.tier.reporting'

    tier = fields.Many2One('member.tier', "Tier")
    members = fields.Integer("Members")
    balance = fields.Integer("Points Balance")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('members', 'DESC'))

    @classmethod
    def table_query(cls):
        pool = Pool()
        Member = pool.get('member.member')
        member = Member.__table__()
        return member.select(
            Min(member.id).as_('id'),
            member.tier.as_('tier'),
            Count(member.id).as_('members'),
            Sum(member.balance).as_('balance'),
            where=member.state == 'active',
            group_by=[member.tier])


class ReferrerReporting(ModelSQL, ModelView):
    "Top Referrers"
    __name__ = 'member.referrer.reporting'

    member = fields.Many2One('member.member', "Member", required=True)
    referees = fields.Integer("Referees")
    referral_points = fields.Integer("Referral Points")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('member')
        cls._order.insert(0, ('referral_points', 'DESC'))
        cls._order.insert(1, ('referees', 'DESC'))

    @classmethod
    def table_query(cls):
        pool = Pool()
        Member = pool.get('member.member')
        Line = pool.get('member.points.line')
        introducer = Member.__table__()
        referee = Member.__table__()
        line = Line.__table__()
        referees = referee.select(Count(referee.id),
            where=(referee.introducer == introducer.id)
            & _date_where(referee.join_date))
        points = line.select(Coalesce(Sum(line.points), 0),
            where=(line.member == introducer.id)
            & (line.type == 'referral')
            & _date_where(line.date))
        return introducer.select(
            introducer.id.as_('id'),
            introducer.id.as_('member'),
            referees.as_('referees'),
            points.as_('referral_points'),
            where=introducer.id.in_(referee.select(
                    referee.introducer,
                    where=referee.introducer != Null)))


class ExportStart(ModelView):
    "Export Member Points Analytics"
    __name__ = 'member.points.reporting.export.start'

    from_date = fields.Date("From Date")
    to_date = fields.Date("To Date")
    period = fields.Selection([
            ('year', "Year"),
            ('month', "Month"),
            ('day', "Day"),
            ], "Period", required=True)

    @classmethod
    def default_from_date(cls):
        return Pool().get('ir.date').today() - relativedelta(years=1)

    @classmethod
    def default_to_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_period(cls):
        return 'month'


class ExportResult(ModelView):
    "Export Member Points Analytics"
    __name__ = 'member.points.reporting.export.result'

    file = fields.Binary("File", readonly=True, filename='filename')
    filename = fields.Char("File Name", readonly=True)


class Export(Wizard):
    "Export Member Points Analytics"
    __name__ = 'member.points.reporting.export'

    start = StateView('member.points.reporting.export.start',
        'member_points.reporting_export_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Export", 'result', 'tryton-ok', default=True),
            ])
    result = StateView('member.points.reporting.export.result',
        'member_points.reporting_export_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def default_result(self, fields):
        data = self.build(
            self.start.from_date, self.start.to_date, self.start.period)
        return {
            'file': data,
            'filename': 'member_points.xlsx',
            }

    @classmethod
    def build(cls, from_date, to_date, period):
        "Return the XLSX file of the analytics as bytes"
        import xlsxwriter
        pool = Pool()
        Points = pool.get('member.points.reporting')
        Tiers = pool.get('member.tier.reporting')
        Referrers = pool.get('member.referrer.reporting')
        IrModel = pool.get('ir.model')

        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {'in_memory': True})
        bold = workbook.add_format({'bold': True})
        date_format = workbook.add_format({'num_format': 'yyyy-mm-dd'})

        def sheet(Model, names, records):
            title = IrModel.get_name(Model.__name__)
            worksheet = workbook.add_worksheet(title[:31])
            strings = Model.fields_get(names)
            for col, name in enumerate(names):
                worksheet.write(0, col, strings[name]['string'], bold)
                worksheet.set_column(col, col, 18)
            for row, record in enumerate(records, 1):
                for col, name in enumerate(names):
                    value = getattr(record, name)
                    if name == 'date' and value:
                        worksheet.write_datetime(
                            row, col,
                            dt.datetime.combine(value, dt.time()),
                            date_format)
                    elif isinstance(value, ModelSQL):
                        worksheet.write(row, col, value.rec_name)
                    else:
                        worksheet.write(row, col, value)

        with Transaction().set_context(
                from_date=from_date, to_date=to_date, period=period):
            sheet(Points, [
                    'date', 'issued', 'redeemed', 'expired', 'reversed',
                    'net'], Points.search([]))
            sheet(Tiers, ['tier', 'members', 'balance'],
                Tiers.search([]))
            sheet(Referrers,
                ['member', 'referees', 'referral_points'],
                Referrers.search([]))
        workbook.close()
        return output.getvalue()
