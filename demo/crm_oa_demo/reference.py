"""CRM reference data of the demo (SPEC X5, CRM-A1, CRM-B1): China and its
provinces, the industries, sources and value classes a consultant would
set up first. Created through the ORM; the bulk-made customers take their
ids (see generate.crm_columns)."""
from itertools import accumulate

COUNTRY = ("中国", 'CN', 'CHN', '156')
# ISO 3166-2:CN code, name, subdivision type
PROVINCES = [
    ('BJ', "北京市", 'municipality'),
    ('TJ', "天津市", 'municipality'),
    ('HE', "河北省", 'province'),
    ('SX', "山西省", 'province'),
    ('NM', "内蒙古自治区", 'autonomous region'),
    ('LN', "辽宁省", 'province'),
    ('JL', "吉林省", 'province'),
    ('HL', "黑龙江省", 'province'),
    ('SH', "上海市", 'municipality'),
    ('JS', "江苏省", 'province'),
    ('ZJ', "浙江省", 'province'),
    ('AH', "安徽省", 'province'),
    ('FJ', "福建省", 'province'),
    ('JX', "江西省", 'province'),
    ('SD', "山东省", 'province'),
    ('HA', "河南省", 'province'),
    ('HB', "湖北省", 'province'),
    ('HN', "湖南省", 'province'),
    ('GD', "广东省", 'province'),
    ('GX', "广西壮族自治区", 'autonomous region'),
    ('HI', "海南省", 'province'),
    ('CQ', "重庆市", 'municipality'),
    ('SC', "四川省", 'province'),
    ('GZ', "贵州省", 'province'),
    ('YN', "云南省", 'province'),
    ('XZ', "西藏自治区", 'autonomous region'),
    ('SN', "陕西省", 'province'),
    ('GS', "甘肃省", 'province'),
    ('QH', "青海省", 'province'),
    ('NX', "宁夏回族自治区", 'autonomous region'),
    ('XJ', "新疆维吾尔自治区", 'autonomous region'),
    ('TW', "台湾省", 'province'),
    ('HK', "香港特别行政区", 'special administrative region'),
    ('MO', "澳门特别行政区", 'special administrative region'),
    ]
# The province of each city of Faker's zh_CN address provider (the city
# starts the generated company names)
CITY_PROVINCES = {
    '北京': 'BJ', '上海': 'SH', '天津': 'TJ', '重庆': 'CQ',
    '哈尔滨': 'HL', '齐齐哈尔': 'HL', '长春': 'JL',
    '沈阳': 'LN', '辽阳': 'LN', '兴城': 'LN', '北镇': 'LN', '阜新': 'LN',
    '呼和浩特': 'NM', '通辽': 'NM', '兴安盟': 'NM',
    '石家庄': 'HE', '辛集': 'HE', '邯郸': 'HE',
    '乌鲁木齐': 'XJ', '兰州': 'GS', '西宁': 'QH', '西安': 'SN',
    '银川': 'NX', '郑州': 'HA', '济南': 'SD', '太原': 'SX',
    '合肥': 'AH', '六安': 'AH', '巢湖': 'AH', '马鞍山': 'AH',
    '武汉': 'HB', '荆门': 'HB', '潜江': 'HB', '大冶': 'HB', '宜都': 'HB',
    '长沙': 'HN', '嘉禾': 'HN',
    '南京': 'JS', '淮安': 'JS', '张家港': 'JS', '海门': 'JS',
    '成都': 'SC', '贵阳': 'GZ', '六盘水': 'GZ', '关岭': 'GZ',
    '昆明': 'YN', '南宁': 'GX', '梧州': 'GX', '柳州': 'GX', '合山': 'GX',
    '拉萨': 'XZ', '杭州': 'ZJ', '南昌': 'JX',
    '福州': 'FJ', '永安': 'FJ', '宁德': 'FJ',
    '广州': 'GD', '佛山': 'GD', '深圳': 'GD', '潮州': 'GD', '惠州': 'GD',
    '汕尾': 'GD', '东莞': 'GD',
    '台北': 'TW', '海口': 'HI', '香港': 'HK', '澳门': 'MO',
    }
# code, name, weight among the generated customers
INDUSTRIES = [
    ('IT', "信息技术", 30),
    ('MFG', "制造业", 18),
    ('RETAIL', "批发零售", 12),
    ('FIN', "金融保险", 8),
    ('EDU', "教育培训", 7),
    ('MED', "医疗健康", 7),
    ('LOG', "物流运输", 6),
    ('MEDIA', "文化传媒", 5),
    ('RE', "建筑地产", 4),
    ('HOTEL', "餐饮酒店", 3),
    ]
SOURCES = [
    ('WEB', "官网咨询", 20),
    ('EXPO', "展会", 15),
    ('PHONE', "电话咨询", 15),
    ('REFERRAL', "老客户介绍", 20),
    ('ADS', "网络推广", 15),
    ('VISIT', "陌生拜访", 15),
    ]
VALUE_CLASSES = [
    ('A', "A类（重点客户）", 15),
    ('B', "B类（一般客户）", 35),
    ('C', "C类（普通客户）", 50),
    ]


class Reference:
    "The ids of the reference records, and weighted draws among them"

    def __init__(self, rnd, country, provinces, industries, sources,
            classes):
        self.random = rnd
        self.country = country
        self.provinces = provinces  # {code: id}
        self.industries = industries  # {code: id}
        self.sources = sources
        self.classes = classes
        self._draws = {
            name: ([records[c] for c, _, _ in table],
                list(accumulate(w for _, _, w in table)))
            for name, records, table in [
                ('industry', industries, INDUSTRIES),
                ('source', sources, SOURCES),
                ('value_class', classes, VALUE_CLASSES)]}

    def draw(self, name):
        "The id of an industry, source or value_class drawn by weight"
        ids, cumulated = self._draws[name]
        return self.random.choices(ids, cum_weights=cumulated)[0]

    def province(self, city):
        "The id of the province of the city, or None"
        return self.provinces.get(CITY_PROVINCES.get(city))


def setup_reference(rnd):
    """Create (or find) China, its provinces, the industries, sources and
    value classes; return a Reference"""
    from trytond.pool import Pool
    pool = Pool()
    Country = pool.get('country.country')
    Subdivision = pool.get('country.subdivision')
    Industry = pool.get('crm.industry')
    Source = pool.get('crm.source')
    ValueClass = pool.get('crm.value.class')

    name, code, code3, numeric = COUNTRY
    country = Country.search([('code', '=', code)], limit=1)
    if country:
        country, = country
    else:
        country, = Country.create([{'name': name, 'code': code,
                    'code3': code3, 'code_numeric': numeric}])
    existing = {s.code: s.id for s in Subdivision.search([
                ('country', '=', country.id)])}
    missing = [p for p in PROVINCES if f'CN-{p[0]}' not in existing]
    for subdivision in Subdivision.create([{
                    'country': country.id, 'code': f'CN-{c}', 'name': n,
                    'type': t} for c, n, t in missing]):
        existing[subdivision.code] = subdivision.id
    provinces = {c: existing[f'CN-{c}'] for c, _, _ in PROVINCES}

    def records(Model, table):
        found = {r.code: r.id for r in Model.search([
                    ('code', 'in', [c for c, _, _ in table])])}
        created = Model.create([{
                    'code': c, 'name': n, 'sequence': 10 * (i + 1)}
                for i, (c, n, _) in enumerate(table) if c not in found])
        found.update({r.code: r.id for r in created})
        return found
    return Reference(rnd, country.id, provinces,
        records(Industry, INDUSTRIES), records(Source, SOURCES),
        records(ValueClass, VALUE_CLASSES))
