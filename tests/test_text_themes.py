"""The text layer: segmenting, themes, masking and the varied demo text. No database."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter, defaultdict

import numpy as np
import pytest

from data_access import masking, segment, themes
from data_access.masking import mask
from fixtures import resident_text
from fixtures.resident_text import CONSULTATION_TOPICS, ISSUE_CATEGORIES, PLANTED, consultation_texts, issue_texts

COMMUNITIES = ["石油路社区", "金银湾社区", "虎头岩社区", "嘉华社区", "渝州社区", "长江社区", "滨江社区"]
GRIDS = [f"{community}第{number}网格" for community in COMMUNITIES for number in range(1, 5)]
HOSTILE = [
    None,
    "",
    "   ",
    float("nan"),
    "<script>alert(1)</script>",
    "<script>alert('xss')</script>楼下垃圾没人管",
    "<img src=x onerror=alert(1)> 路灯坏了",
    "{{7*7}} ${jndi:ldap://x} '; DROP TABLE issues; -- 井盖缺失",
    "情况持续多日，" * 1500,  # 10,500 characters
    "。" * 10_000,
    "a" * 10_000,
    "1" * 10_000,
    "\x00\ufeff\u200b垃圾",
]


@pytest.fixture(scope="module", autouse=True)
def street_places() -> None:
    segment.add_place_names(COMMUNITIES + GRIDS)


def _issues(count: int, seed: int) -> tuple[list[str], list[str], list[str]]:
    """(codes, titles, descriptions) for `count` reports spread over the categories and grids."""
    rng = np.random.default_rng(seed)
    codes = [ISSUE_CATEGORIES[i] for i in rng.integers(0, len(ISSUE_CATEGORIES), size=count)]
    places = [GRIDS[i] for i in rng.integers(0, len(GRIDS), size=count)]
    titles, descriptions = issue_texts(codes, places, np.random.default_rng(seed + 1))
    return codes, titles, descriptions


# ---------------------------------------------------------------- themes


THEME_SAMPLES = [
    ("请问70岁以上老人高龄津贴怎么申请？", {"elderly_care", "policy_subsidy"}),
    ("小区能不能办个暑期托管班？", {"children"}),
    ("想问一下车位共享怎么预约", {"parking"}),
    ("石油路社区第3网格楼下乱停车，堵住老人走的路", {"parking", "elderly_care"}),
    ("广场舞音响太吵了，晚上睡不着", {"noise", "culture_sport"}),
    ("老王家的狗半夜一直叫", {"pets", "noise"}),
    ("电动车在楼道飞线充电，太危险了", {"ev_charging", "fire_safety"}),
    ("养老保险怎么缴费", {"policy_subsidy"}),  # 养老保险 is a benefit, not elderly care
    ("停车场的路灯坏了，黑漆漆的", {"lighting"}),  # 停车场 is where, not parking
    ("老楼没有电梯，爬楼梯太累", {"lifts_ageing"}),
    ("楼道感应灯坏了，老人晚上上楼摔倒了", {"lighting", "elderly_care", "roads_paths"}),
    ("垃圾桶满了没人清运，有异味", {"sanitation"}),
    ("单元门禁坏了，陌生人随便进出", {"security"}),
    ("下水道堵塞反味", {"water_drains"}),
    ("流动摊贩占道经营，烧烤油烟很大", {"vendors_markets"}),
    ("窗口工作人员态度不好，几个部门互相推诿", {"staff_attitude"}),
    ("社区有没有招聘会，想参加技能培训", {"employment"}),
    ("什么时候有免费义诊和体检", {"health"}),
    ("树枝挡住了路灯", {"greenery", "lighting"}),
    ("楼上渗水邻居不肯修，闹了矛盾", {"water_drains", "neighbours"}),
    ("希望社区能办个老年助餐点", {"elderly_care"}),
    ("你好，谢谢", set()),
    ("虎头岩社区", set()),
]


@pytest.mark.parametrize(("text", "expected"), THEME_SAMPLES)
def test_themes_of_sample_sentences(text: str, expected: set[str]) -> None:
    assert themes.themes_of(text) == frozenset(expected)


def test_theme_lexicon_is_consistent() -> None:
    """About 15-25 themes, each complete; every theme word is kept whole by the segmenter and is
    not a stop word (else it could never match)."""
    all_themes = themes.themes()
    assert 15 <= len(all_themes) <= 25
    stop = segment.stopwords()
    for theme in all_themes:
        assert theme.words and theme.name_zh and theme.name_en and theme.activity_zh and theme.activity_en
        for word in theme.words:
            assert word not in stop, (theme.code, word)
            assert segment.words(word) == [word], (theme.code, word)
            assert segment.terms(word) == [word], (theme.code, word)


def test_theme_counts_count_a_text_once_per_theme() -> None:
    counts = themes.theme_counts(["狗叫，狗屎，狗不牵绳", "遛狗不牵绳", "路灯不亮", None, ""])
    assert list(counts) == [theme.code for theme in themes.themes()]
    assert counts["pets"] == 2
    assert counts["lighting"] == 1
    assert counts["noise"] == 1  # 狗叫 is pets and noise
    assert sum(counts.values()) == 4


def test_suggested_activities_rank_by_count() -> None:
    suggested = themes.suggested_activities({"children": 3, "elderly_care": 7, "pets": 3, "noise": 0}, top=3)
    assert [theme.code for theme in suggested] == ["elderly_care", "children", "pets"]
    assert suggested[0].activity_zh == "老年助餐与健康讲座"
    assert themes.suggested_activities({"noise": 0}) == []


# ---------------------------------------------------------------- segmenter


def test_place_names_added_at_run_time_are_whole_and_never_terms() -> None:
    segment.add_place_names(["化龙桥片区第9网格", "王府井小区", "", None])
    text = "化龙桥片区第9网格的王府井小区门口垃圾没人清运，虎头岩社区和石油路社区第3网格也一样"
    words = segment.words(text)
    for name in ["化龙桥片区第9网格", "王府井小区", "虎头岩社区", "石油路社区第3网格"]:
        assert name in words
    found = segment.terms(text)
    assert found == ["垃圾", "清运"]  # 一样 is a stop word
    places = segment.place_names()
    for term in segment.terms("石油路大坪虎头岩化龙桥渝州路经纬大道的路灯"):
        assert term not in places
    assert segment.terms("石油路大坪虎头岩化龙桥渝州路经纬大道的路灯") == ["路灯"]


def test_stop_words_digits_punctuation_and_single_characters_never_terms() -> None:
    stop = segment.stopwords()
    for required in ["反映", "问题", "情况", "希望", "请", "一下", "已经", "没有", "我们", "小区"]:
        assert required in stop
    _, titles, descriptions = _issues(2000, seed=11)
    questions = consultation_texts(list(CONSULTATION_TOPICS) * 100, np.random.default_rng(12))
    seen: Counter[str] = Counter()
    for text in titles + descriptions + questions + [sample for sample, _ in THEME_SAMPLES]:
        for term in segment.terms(text):
            assert term not in stop, (term, text)
            assert not re.search(r"[0-9]", term), (term, text)
            assert re.search(r"[\u4e00-\u9fff]|[a-z]{2}", term), (term, text)
            assert len(term) > 1 or term in segment.SINGLE_CHARS, (term, text)
            seen[term] += 1
    assert len(seen) > 150  # the text is varied, so its words are too


def test_terms_drop_markup_and_keep_the_words() -> None:
    assert segment.terms("石油路菜市场门口的路灯不亮，老人晚上摔倒了") == ["路灯不亮", "老人", "摔倒"]
    assert segment.terms("<script>alert(1)</script>楼下垃圾没人管") == ["垃圾"]
    assert segment.terms("<b>紧急</b>：<a href='javascript:alert(1)'>点这里</a> 消防通道被堵") == segment.terms(
        "紧急：点这里 消防通道被堵"
    )
    assert "script" not in segment.terms("<script>alert(1)</script>")
    assert segment.terms("ＡＰＰ上预约车位共享") == ["app", "预约", "车位共享"]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_does_not_raise(text: object) -> None:
    found = segment.terms(text)
    assert isinstance(found, list)
    assert isinstance(themes.themes_of(text), frozenset)
    masked = mask(text)  # type: ignore[arg-type]
    assert isinstance(masked, str)
    if isinstance(text, str):
        assert len(masked) <= len(text) + 10
    assert themes.theme_counts([text]) is not None


def test_long_text_is_fast() -> None:
    text = "楼下路灯不亮，老人摔倒了。" * 1000  # 13,000 characters
    started = time.perf_counter()
    assert themes.themes_of(text) == {"lighting", "elderly_care", "roads_paths"}
    assert time.perf_counter() - started < 2.0


def test_tokenizer_is_built_once_under_concurrent_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    built = []
    real_build = segment._build

    def counting_build():
        built.append(threading.get_ident())
        time.sleep(0.2)  # a slow load, so the other threads arrive while it runs
        return real_build()

    monkeypatch.setattr(segment, "_tokenizer", None)
    monkeypatch.setattr(segment, "_build", counting_build)
    results: list[list[str]] = []
    barrier = threading.Barrier(6)

    def work() -> None:
        barrier.wait()
        results.append(segment.terms("广场舞音响太吵，石油路社区第3网格"))

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1
    assert results == [["广场舞", "音响", "太吵"]] * 6


# ---------------------------------------------------------------- generator


def test_generated_issue_text_is_varied_short_and_deterministic() -> None:
    codes, titles, descriptions = _issues(15_000, seed=1)
    assert len(set(titles)) >= 5_000
    assert len(set(descriptions)) >= 10_000
    assert max(len(title) for title in titles) <= 30
    assert all(title and description for title, description in zip(titles, descriptions))
    assert _issues(15_000, seed=1)[1:] == (titles, descriptions)
    assert _issues(15_000, seed=2)[2] != descriptions
    # Every category's text is its own: a noise report speaks of noise, a pets report of pets.
    for code, theme in [("noise", "noise"), ("pets", "pets"), ("lighting", "lighting"), ("parking", "parking")]:
        texts = [d for c, d in zip(codes, descriptions) if c == code][:200]
        assert sum(theme in themes.themes_of(text) for text in texts) > 0.8 * len(texts)


def test_generator_speed_and_edges() -> None:
    codes = [ISSUE_CATEGORIES[i % 12] for i in range(15_000)]
    started = time.perf_counter()
    issue_texts(codes, [], np.random.default_rng(3))
    assert time.perf_counter() - started < 1.0
    started = time.perf_counter()
    titles, _ = issue_texts(codes * 20, [], np.random.default_rng(3))  # 300,000: a million in under a minute
    assert time.perf_counter() - started < 300_000 / 1_000_000 * 60
    assert len(titles) == 300_000
    titles, descriptions = issue_texts(["no_such_category"], ["石油路社区第1网格"], np.random.default_rng(4))
    assert titles[0] and descriptions[0].endswith("。")
    assert issue_texts([], [], np.random.default_rng(4)) == ([], [])
    with pytest.raises(ValueError):
        issue_texts(["road", "pets"], ["石油路社区第1网格"], np.random.default_rng(4))


def test_themes_cut_across_categories() -> None:
    codes, titles, descriptions = _issues(5_000, seed=21)
    by_theme: dict[str, Counter[str]] = defaultdict(Counter)
    for code, title, description in zip(codes, titles, descriptions):
        for theme in themes.themes_of(f"{title}。{description}"):
            by_theme[theme][code] += 1
    # at least 3 themes each raised at least 10 times under 3 or more categories
    wide = [theme for theme, under in by_theme.items() if sum(count >= 10 for count in under.values()) >= 3]
    assert len(wide) >= 3, dict(by_theme)
    for theme in ["elderly_care", "children", "lifts_ageing"]:
        assert theme in wide
    # some theme's count is no single category's count
    category_counts = set(Counter(codes).values())
    totals = {theme: sum(under.values()) for theme, under in by_theme.items()}
    assert any(total not in category_counts for total in totals.values())
    assert totals["elderly_care"] > max(category_counts)  # older residents come up more than any category


def test_consultations_ask_per_topic_and_suggest_activities() -> None:
    topics = [CONSULTATION_TOPICS[i % len(CONSULTATION_TOPICS)] for i in range(6_000)]
    questions = consultation_texts(topics, np.random.default_rng(8))
    assert len(questions) == 6_000
    assert len(set(questions)) > 1_500
    assert consultation_texts(topics, np.random.default_rng(8)) == questions
    assert all(("？" in q or "急" in q) for q in questions)
    assert consultation_texts(["no_such_topic"], np.random.default_rng(1))[0]
    counts = themes.theme_counts(questions[:1_200])
    for theme in ["elderly_care", "children", "employment", "culture_sport", "health", "policy_subsidy"]:
        assert counts[theme] >= 30, counts
    suggested = {theme.code for theme in themes.suggested_activities(counts, top=6)}
    assert "elderly_care" in suggested


# ---------------------------------------------------------------- masking

# (sentence, planted strings that must go, markers that must appear, words that must stay)
MASK_SAMPLES = [
    ("联系人张桂兰阿姨反映垃圾没人清运", ["张桂兰"], [masking.NAME + "阿姨"], ["联系人", "垃圾没人清运"]),
    ("我叫李秀英，住在这里二十年了", ["李秀英"], ["我叫" + masking.NAME], ["住在这里二十年了"]),
    ("王德福大爷家门口的路灯坏了", ["王德福"], [masking.NAME + "大爷"], ["家门口的路灯坏了"]),
    ("老王家的狗半夜一直叫", ["老王"], [masking.NAME + "家的狗"], ["半夜一直叫"]),
    ("谢谢王德福大爷帮忙", ["王德福"], ["谢谢" + masking.NAME + "大爷"], ["帮忙"]),
    ("物业的何师傅说明天来修", ["何师傅"], [masking.NAME + "师傅"], ["物业的", "说明天来修"]),
    ("欧阳娜娜女士的车堵住了消防通道", ["欧阳娜娜"], [masking.NAME + "女士"], ["消防通道"]),
    ("姓名：刘建国，电话13912345678", ["刘建国", "13912345678"], [masking.NAME, masking.PHONE], ["姓名", "电话"]),
    ("我的电话13812345678，请回电", ["13812345678"], [masking.PHONE], ["我的电话", "请回电"]),
    ("有事打139 0023 4567找我", ["139 0023 4567", "4567"], [masking.PHONE], ["有事打", "找我"]),
    ("联系电话150-2300-0001", ["150-2300-0001", "2300"], [masking.PHONE], ["联系电话"]),
    ("手机+86 138 0000 1111也可以", ["138 0000 1111"], [masking.PHONE], ["也可以"]),
    ("座机023-68001234，白天有人", ["023-68001234", "68001234"], [masking.PHONE], ["座机", "白天有人"]),
    ("家里电话(023)68881234", ["(023)68881234", "68881234"], [masking.PHONE], ["家里电话"]),
    ("打68861234就行", ["68861234"], [masking.PHONE], ["打", "就行"]),
    ("身份证号50010319800101123X，帮我查下低保", ["50010319800101123X"], [masking.ID_NUMBER], ["身份证号", "低保"]),
    ("我的身份证500103195507070021丢了", ["500103195507070021"], [masking.ID_NUMBER], ["我的身份证", "丢了"]),
    ("我住石油路12号3栋2单元501，楼道灯坏了", ["12号", "3栋2单元501"], ["石油路" + masking.ADDRESS], ["楼道灯坏了"]),
    ("地址是大坪正街5号楼2单元302室", ["5号楼", "302室"], ["大坪正街" + masking.ADDRESS], ["地址是"]),
    ("家在虎头岩村8幢1-3-2，水管漏水", ["8幢", "1-3-2"], [masking.ADDRESS], ["虎头岩村", "水管漏水"]),
    ("三单元五楼的窗户掉了", ["三单元五楼"], [masking.ADDRESS], ["的窗户掉了"]),
    ("7楼5号的住户天天装修", ["7楼5号"], [masking.ADDRESS], ["的住户天天装修"]),
    ("车牌渝A12345的车天天停这里", ["渝A12345"], [masking.PLATE], ["车牌", "的车天天停这里"]),
    ("是一辆渝A·D12345的新能源车", ["渝A·D12345", "D12345"], [masking.PLATE], ["新能源车"]),
    ("照片发到zhang.guilan@example.com了", ["zhang.guilan", "example.com"], [masking.EMAIL], ["照片发到"]),
    ("可以加我微信wx_guilan1956详聊", ["wx_guilan1956"], ["微信" + masking.WECHAT], ["详聊"]),
    ("微信号：LiMing_2024", ["LiMing_2024"], [masking.WECHAT], ["微信号"]),
]
# Ordinary sentences that must come back unchanged.
UNCHANGED = [
    "王府井大街的商户占道经营",
    "3月3号下午在地铁1号线上",
    "2026年3月12号路灯就坏了",
    "石油路社区第3网格的老年人和老师",
    "许多老师和保安大叔都说了",
    "保洁阿姨每天打扫两次",
    "谢谢老师，谢谢网格员",
    "语文老师说孩子作业太多",
    "老顾客都说菜价涨了",
    "广场舞大妈音响开得太大",
    "老房子没有电梯",
    "100多户人家",
    "20260312那天一栋楼都停电了",
    "两栋楼之间的路灯坏了",
]


@pytest.mark.parametrize(("text", "planted", "markers", "kept"), MASK_SAMPLES)
def test_mask_hides_planted_details(text: str, planted: list[str], markers: list[str], kept: list[str]) -> None:
    masked = mask(text)
    for value in planted:
        assert value not in masked, masked
    for marker in markers:
        assert marker in masked, masked
    for word in kept:
        assert word in masked, masked


@pytest.mark.parametrize("text", UNCHANGED)
def test_mask_leaves_ordinary_words(text: str) -> None:
    assert mask(text) == text


def test_mask_known_names_longest_first_and_door_spots() -> None:
    masked = mask("我家邻居张三说他见过张三丰和王丙卯", known_names=["张三", "张三丰", "王丙卯", "", "王"])
    assert masked == "我家邻居某某说他见过某某和某某"
    assert mask("虎头岩社区3栋楼下停车场", known_names=()) == "虎头岩社区[地址]楼下停车场"
    assert mask("<script>alert('张桂兰阿姨')</script>") == "<script>alert('某某阿姨')</script>"  # not escaped


def test_every_planted_detail_in_generated_text_is_masked() -> None:
    codes, titles, descriptions = _issues(15_000, seed=5)
    questions = consultation_texts([CONSULTATION_TOPICS[i % 12] for i in range(5_000)], np.random.default_rng(6))
    texts = titles + descriptions + questions
    carrying = [text for text in texts if any(value in text for value in PLANTED)]
    share = len(carrying) / (len(descriptions) + len(questions))
    assert 0.01 < share < 0.03
    assert {value for value in PLANTED if any(value in text for text in carrying)} == set(PLANTED)
    digits = re.compile(r"[0-9]{7,}")
    for text in carrying:
        masked = mask(text)
        for value in PLANTED:
            assert value not in masked, (text, masked)
        assert not digits.search(masked), masked
    assert len(resident_text.PLANTED_DETAILS) == len(PLANTED)
