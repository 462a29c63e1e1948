"""Personal details hidden in a resident's own words, before a sample sentence is shown.

Issue descriptions and questions are free text: residents write their name, phone, door number,
ID number or licence plate into them. ``mask`` replaces each with a fixed marker, so the reader
sees that something was hidden and what kind:

    mask("联系人张桂兰阿姨，电话138-1234-5678，住石油路12号3栋2单元501")
    -> "联系人某某阿姨，电话[电话]，住石油路[地址]"

Names are found by context (我叫X, 联系人X, X阿姨/X大爷/X师傅/X先生/X女士, 老X) and from
``known_names`` (the reporter's and residents' names, longest first); numbers by pattern. The
named road or estate stays (石油路), the door-level part goes. Ordinary words are left alone.
This is not escaping: a page still escapes the result when it renders it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

NAME = "某某"
PHONE = "[电话]"
ID_NUMBER = "[证件号]"
ADDRESS = "[地址]"
PLATE = "[车牌]"
EMAIL = "[邮箱]"
WECHAT = "[微信号]"

# The ~100 commonest surnames (one character) and the common two-character ones.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔向汤常温康施牛樊葛邢齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申耿兰焦俞左柳甘祝包宁尚符舒阮"
    "柯纪梅凌毕季裴霍涂谷盛翁冉骆蓝游辛靳柴鲍喻祁蒲滕屈饶牟艾尤穆卓吉"
)  # without 文 安 童 阳 时 路 关 单 管 曲 苗 农 房 ...: 语文老师, 保安大叔, 儿童老师, 阳光大姐 are no names
DOUBLE_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "慕容", "尉迟", "公孙", "长孙")
# Words after a name that say it is one (阿姨, 师傅 ...), longest first where one starts another.
TITLES = (
    "阿姨",
    "大爷",
    "大妈",
    "大娘",
    "大叔",
    "大姐",
    "大哥",
    "师傅",
    "先生",
    "女士",
    "小姐",
    "老师",
    "奶奶",
    "爷爷",
    "婆婆",
    "嬢嬢",
    "孃孃",
    "伯伯",
    "阿婆",
    "老汉",
    "主任",
    "书记",
    "医生",
    "同学",
)
# Words before a name that introduce it.
INTRODUCERS = ("我叫", "名叫", "叫做", "本人", "联系人", "报告人", "反映人", "姓名", "户主", "老人叫")
# Characters that end a name rather than continue it (我叫张伟今年70岁 keeps 今年).
_NOT_GIVEN = (
    "多谢何位个些的了是在住家今年岁电话手机号码和与跟说也都就又还要想请叫把被给让从到对向"
    "我你他她它们这那，。、；：！？ "
)

_D = "[0-9０-９]"
_SEP = r"[ \-－—]?"
_SURNAME = f"(?:{'|'.join(DOUBLE_SURNAMES)}|[{SURNAMES}])"
# Before a title, 谢 after 谢 is thanks, not a name (谢谢老师).
_SURNAME_TITLED = f"(?:{'|'.join(DOUBLE_SURNAMES)}|(?<!谢)谢|[{SURNAMES.replace('谢', '')}])"
_GIVEN = f"(?:[\u4e00-\u9fff](?<![{_NOT_GIVEN}]))"

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_ID = re.compile(rf"(?<![0-9０-９A-Za-z]){_D}{{6}}{_SEP}{_D}{{8}}{_SEP}{_D}{{3}}[0-9０-９Xx](?![0-9０-９A-Za-z])")
_MOBILE = re.compile(
    rf"(?<![0-9０-９])(?:(?:\+|＋)?86{_SEP})?1[3-9３-９]{_D}{_SEP}{_D}{{4}}{_SEP}{_D}{{4}}(?![0-9０-９])"
)
# With an area code (023-68001234, (023)68881234), or 8 digits alone; alone, not from 2 (20260312 is a date).
_LANDLINE = re.compile(
    rf"(?<![0-9０-９])(?:(?:[(（]0{_D}{{2,3}}[)）]|0{_D}{{2,3}}){_SEP}[2-8２-８]|[3-8３-８]){_D}{{3}}{_SEP}{_D}{{4}}"
    r"(?![0-9０-９])"
)
_PLATE = re.compile(
    "[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]"
    r"[A-HJ-NP-Za-hj-np-z][ ·•・.\-]?(?=[A-HJ-NP-Za-hj-np-z0-9]*[0-9])[A-HJ-NP-Za-hj-np-z0-9]{5,6}[挂学警]?"
    "(?![A-Za-z0-9])"
)
_WECHAT = re.compile(r"(微信(?:号|ID|id|账号)?\s*(?:是|为|:|：|号是)?\s*)([A-Za-z][A-Za-z0-9_\-]{5,19})")
# Door-level address: a chain of numbered parts (12号, 3栋, 2单元, 501室, 5号楼, 8幢, 1-3-2).
_CN = "[一二三四五六七八九十零〇]{1,3}"  # Chinese numerals: only in a chain or before 单元/号楼 (not 两栋楼之间)
_NUM = f"(?:{_D}+|{_CN})"
_PART = rf"{_NUM}(?:号楼|号院|栋|幢|座|单元|号(?![线码文])|楼|层|室|户)(?:附{_D}+号)?"
# 3栋2单元501 and 7楼5号; 5号楼, 8幢1-3-2 and 三单元; 石油路12号 (the road stays); 3-2-501.
_ADDRESS = re.compile(
    rf"(?<![0-9０-９月日年第])(?:{_PART}){{2,}}(?:{_D}+(?:室|号|户)?)?"
    rf"|(?<![0-9０-９月日年第])(?:{_D}+(?:号楼|号院|栋|幢|单元|室)|{_CN}(?:号楼|单元))(?:{_D}+(?:[\-－]{_D}+)*)?"
    rf"|(?<=[路街巷道])(?:{_PART})+(?:{_D}+)?"
    rf"|(?<![0-9０-９\-]){_D}{{1,3}}-{_D}{{1,3}}-{_D}{{1,4}}(?![0-9０-９\-])"
)
_INTRODUCED = re.compile(rf"({'|'.join(INTRODUCERS)})([:：是]?\s*)({_SURNAME}{_GIVEN}{{1,2}})")
_TITLED = re.compile(rf"{_SURNAME_TITLED}{_GIVEN}{{0,2}}(?=(?:{'|'.join(TITLES)}))")
_LAO = re.compile(rf"老[{SURNAMES}](?!客|历|湖|牛|干|病|法)")  # not 老顾客, 老黄历, 老江湖, 老毛病


def _known(names: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for the given names, longest first, names shorter than two characters skipped
    (a lone surname would hide ordinary words)."""
    unique = {str(name).strip() for name in names if name is not None and len(str(name).strip()) >= 2}
    if not unique:
        return None
    return re.compile("|".join(re.escape(name) for name in sorted(unique, key=lambda n: (-len(n), n))))


def mask(text: object, known_names: Iterable[str] = ()) -> str:
    """The text with names, phones, ID numbers, door addresses, plates, e-mails and WeChat ids
    replaced by markers (NAME, PHONE, ...). None is ''. Not escaped for HTML."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    result = str(text)
    if not result:
        return result
    result = _EMAIL.sub(EMAIL, result)
    result = _WECHAT.sub(lambda match: match.group(1) + WECHAT, result)
    result = _ID.sub(ID_NUMBER, result)
    result = _MOBILE.sub(PHONE, result)
    result = _LANDLINE.sub(PHONE, result)
    result = _PLATE.sub(PLATE, result)
    result = _ADDRESS.sub(ADDRESS, result)
    known = _known(known_names)
    if known is not None:
        result = known.sub(NAME, result)
    result = _INTRODUCED.sub(lambda match: match.group(1) + match.group(2) + NAME, result)
    result = _TITLED.sub(NAME, result)
    return _LAO.sub(NAME, result)
