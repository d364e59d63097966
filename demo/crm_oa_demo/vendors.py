"""Vendor deal registration in the demo (SPEC CRM-D4): an upstream vendor
with its registration program, so that a salesperson can register a deal
from an opportunity and read the e-mail in the demo's mail sink."""
from decimal import Decimal

VENDOR = "华为技术有限公司"
PROGRAM = "华为渠道商机报备"
RECIPIENTS = "channel-cn@huawei.example.cn"
SUBJECT = "商机报备：{{ customer }} / {{ project }}"
BODY = """您好，

{{ company }} 申请报备以下商机：

客户：{{ customer }}（{{ customer_code }}）
地址：{{ customer_address }}
客户联系人：{{ customer_contact }}
项目：{{ project }}
金额：{{ amount }} {{ currency }}
预计成交：{{ expected_close }}
产品：{{ products }}
{% for line in lines %}  - {{ line.product }} {{ line.quantity }} {{ line.unit }}
{% endfor %}
备注：{{ notes }}

销售负责人：{{ salesperson }}（{{ salesperson_email }}，{{ salesperson_phone }}）
"""
INSTRUCTIONS = ("报备有效期 90 天；金额 30 万元及以上的商机需先经主管审批再发送。"
    "请填写客户联系人（姓名和电话）。")


def setup_vendors(company):
    "The vendor and its registration program, made by the consultant"
    from trytond.pool import Pool
    pool = Pool()
    if 'crm.registration.program' not in dict(pool.iterobject()):
        return
    Party = pool.get('party.party')
    Program = pool.get('crm.registration.program')
    vendor = Party(name=VENDOR)
    vendor.save()
    Program.create([{
                'name': PROGRAM,
                'company': company.id,
                'vendor': vendor.id,
                'currency': company.currency.id,
                'recipients': RECIPIENTS,
                'cc_salesperson': True,
                'subject': SUBJECT,
                'body': BODY,
                'approval_threshold': Decimal('300000'),
                'validity_days': 90,
                'reminder_days': 14,
                'instructions': INSTRUCTIONS,
                }])
