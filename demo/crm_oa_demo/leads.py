"""Leads of the demo (SPEC X5, CRM-D0): the salespeople's leads from
various sources waiting for qualification (待认定), one lead of the
website's contact form still without a salesperson, and one discarded by the
supervisor. Created through the product's paths: the website forms
(crm.lead.web_form.create_lead) and the salespeople's own entries."""
import datetime as dt

# The website's forms: name, salesperson login (None: the qualifiers assign
# the leads)
WEB_FORMS = [
    ("官网「免费试用」表单", 'sales'),
    ("官网「联系我们」表单", None),
    ]
# form index, days ago, company, contact, phone, e-mail, message
WEB_LEADS = [
    (0, 3, "苏州工业园区智联科技有限公司", "周经理", '+86 138 1234 5601',
        'zhou@zhilian.example.cn', "咨询 CRM 系统报价，约 50 个用户"),
    (0, 1, "无锡新宏达机械制造有限公司", "钱主管", '+86 139 0510 2233',
        None, "希望了解客户管理与呼叫中心的整体方案"),
    (1, 0, "南通恒润物流有限公司", "孙女士", None,
        'sun@hengrun.example.cn', "司机调度与客户回访，想预约演示"),
    ]
# salesperson login, source code, days ago, company, contact, phone,
# e-mail, description
MANUAL_LEADS = [
    ('sales', 'PHONE', 2, "杭州青禾教育科技有限公司", "吴老师",
        '+86 571 8890 1234', None, "电话咨询会员积分功能"),
    ('sales2', 'EXPO', 5, "宁波海曙鼎新电子有限公司", "郑总",
        '+86 137 5741 8800', 'zheng@dingxin.example.cn',
        "展会上交换名片，对办公自动化感兴趣"),
    ('sales2', 'REFERRAL', 4, "温州瓯江医疗器械有限公司", "王主任",
        '+86 135 7788 6655', None, "老客户介绍，需要销售管理系统"),
    ]
# discarded by the supervisor: (salesperson, source, days ago, company,
# contact, phone, reason)
DISCARDED = ('sales', 'ADS', 6, "合肥某某贸易商行", "李先生", '+86 131 0000 1111',
    "联系电话为空号，多次联系不上")


def setup_leads(company, users, reference):
    "The website forms, the leads and one discarded; returns the leads"
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    WebForm = pool.get('crm.lead.web_form')
    Opportunity = pool.get('sale.opportunity')
    Date = pool.get('ir.date')
    today = Date.today()  # the company's today
    forms = WebForm.create([{
                'name': name, 'company': company.id,
                'source': reference.sources['WEB'],
                'employee': users[login].employee.id if login else None,
                'department': (users[login].employee.department.id
                    if login else None),
                } for name, login in WEB_FORMS])
    leads = []
    for form, days, name, contact, phone, email, message in WEB_LEADS:
        lead = forms[form].create_lead({'name': name, 'contact': contact,
                'phone': phone or '', 'email': email or '',
                'message': message}, '203.0.113.%d' % (len(leads) + 10))
        lead.start_date = today - dt.timedelta(days=days)
        lead.description = message
        lead.save()
        leads.append(lead)

    def manual(login, source, days, name, contact, phone, email, text):
        user = users[login]
        with Transaction().set_user(user.id), Transaction().set_context(
                company=company.id, employee=user.employee.id):
            lead, = Opportunity.create([{
                        'state': 'lead', 'lead_name': name,
                        'lead_contact': contact, 'lead_phone': phone,
                        'lead_email': email,
                        'lead_source': reference.sources[source],
                        'employee': user.employee.id,
                        'description': text,
                        'start_date': today - dt.timedelta(days=days),
                        }])
        return lead
    for values in MANUAL_LEADS:
        leads.append(manual(*values))
    login, source, days, name, contact, phone, reason = DISCARDED
    discarded = manual(
        login, source, days, name, contact, phone, None, "网络推广留言")
    supervisor = users['supervisor']
    with Transaction().set_user(supervisor.id), Transaction().set_context(
            company=company.id, employee=supervisor.employee.id):
        Opportunity.qualify_leads(
            [Opportunity(discarded.id)], 'discarded', reason=reason)
    return leads
