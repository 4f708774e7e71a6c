"""Page boilerplate is not read as an item's lead (issue 13: what an item's terms are read
from): paywall, cookie, newsletter and share notices, photo credits."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from aggregator.cluster import lexical
from aggregator.cluster.boilerplate import story_lead
from aggregator.cluster.embed import LexicalEmbedder
from aggregator.config import Config
from aggregator.pipeline.cluster_pass import EventBuilder
from aggregator.store.core import Store, utc_iso

#: A paywall notice as a feed served it (SemEval-2022 pool, article 1484087779).
PAYWALL = (
    "You have reached the limit for free access to our important and valuable work.\n\n"
    "Subscribers, click below to login or register your subscription to continue receiving "
    "unlimited access to UnionLeader.com. Log In Sign Up"
)


def test_a_paywall_notice_alone_leaves_no_lead() -> None:
    assert story_lead(PAYWALL) == ""
    zh = "我们注意到您正在屏蔽广告！\n\n关闭广告拦截器，继续支持伟大的新闻业。"
    zh += "或者购买订阅以无限访问。"
    assert story_lead(zh) == ""


def test_notices_and_widgets_go_the_story_stays() -> None:
    text = (
        "Sign up to FREE daily email alerts from walesonline - daily Subscribe Thank you for "
        "subscribing We have more newsletters Show me See our privacy notice Could not "
        "subscribe, try again later Invalid Email Thousands of customers were locked out of "
        "their online accounts on Thursday. Loading Replay Replay video Play video The bank "
        "said (Photo: Jane Doe/Getty Images) a fix was under way."
    )
    lead = story_lead(text)
    assert lead.startswith("Thousands of customers were locked out")
    assert "a fix was under way" in lead
    for gone in ("Sign up", "newsletters", "Invalid Email", "Replay", "Photo", "Getty"):
        assert gone not in lead
    cookies = "We use cookies to give you the best experience. Floods hit Valencia overnight."
    assert story_lead(cookies) == "Floods hit Valencia overnight."


def test_stories_about_subscribers_or_cookies_keep_their_sentences() -> None:
    for text in (
        "Netflix added 8 million subscribers in the quarter. Its shares rose 5%.",
        "WhatsApp's new privacy policy takes effect. Users who reject it lose features.",
        "Google limits ad blockers in Chrome. The company cites security.",
        "The bank said in a newsletter to clients that rates would fall.",
        "奈飞第三季度新增订阅用户800万。微信更新隐私政策。",
        "The EU fined the site over cookies. U.S. Treasury Secretary Mnuchin spoke.",
        "运动少年热血竞技秀《运动吧少年》在7月11日正式登陆湖南卫视。",
        "飓风“汉娜”登陆美国得克萨斯州，将给得州带来强风暴雨。",
        # Real feed texts (../shared/feeds: TechCrunch, oschina, mlog.club) that a looser
        # phrase list dropped: a story about a service, about single sign-on, a bracket
        # that mentions pictures but credits nobody.
        "Why would RIM release a limited music service when you can shell out a few extra "
        "dollars a month for unlimited access?",
        "单点登录（Single Sign On），简称为 SSO，是目前比较流行的企业业务整合的解决方案之一。",
        "向日葵更新了 iOS 控制端，支持扫码登录。",
        "新特性：支持推文功能（推文图片支持粘贴板上传、拖拽上传）。",
    ):
        assert story_lead(text) == text


def test_the_pipeline_reads_the_lead_without_the_notice(
    cfg: Config, store: Store, now: datetime
) -> None:
    """Two different stories of one outlet whose summaries open with the same paywall
    notice: read as the lead, the notice is most of both texts and joins them."""
    fid = store.add_feed("http://example.org/f.xml", now=now)
    items = [
        ("Snowmobile crashes into tree in New Hampshire", f"{PAYWALL}\n\nTwo riders were hurt."),
        ("City council approves new budget for schools", f"{PAYWALL}\n\nThe vote was 7-2."),
    ]
    with store.transaction():
        for k, (title, summary) in enumerate(items):
            at = utc_iso(now - timedelta(minutes=10 * (2 - k)))
            store.conn.execute(
                "INSERT INTO items (feed_id, guid, title, summary, lang, fetched_at, updated_at,"
                " content_hash) VALUES (?, ?, ?, ?, 'en', ?, ?, ?)",
                (fid, f"g{k}", title, summary, at, at, f"h{k}"),
            )
    assert EventBuilder(cfg, store, LexicalEmbedder()).cluster_pending(now) == 2
    events = store.rows("SELECT event_id FROM items ORDER BY id")
    assert events[0]["event_id"] != events[1]["event_id"]
    stored = [json.loads(r["terms"]) for r in store.rows("SELECT terms FROM item_terms")]
    assert stored[0] == lexical.terms(items[0][0], "Two riders were hurt.")
    assert not any("subscription" in t or "unionleader" in t for t in stored)


#: One notice per phrase of ``boilerplate._EN_PHRASES`` / ``_ZH_PHRASES`` (in their order).
NOTICES = (
    "Subscribe now for full access.",
    "Subscribers, click below to continue.",
    "Purchase a subscription to read on.",
    "Register your subscription to continue reading.",
    "Thank you for reading!",
    "Already a subscriber?",
    "Become a digital subscriber today.",
    "Support our coverage by becoming a subscriber.",
    "Sign up for our morning briefing.",
    "Sign up",
    "Log in to your subscriber account.",
    "Sign in or register to comment.",
    "Please create an account to keep reading.",
    "Are you sure you want to log out?",
    "You have reached the limit of free articles.",
    "Get unlimited digital access.",
    "Please turn off your ad blocker.",
    "To use this website, cookies must be enabled in your browser.",
    "Please enable JavaScript to watch this video.",
    "See our privacy notice.",
    "Read our terms of use.",
    "We have more newsletters.",
    "Get email alerts.",
    "Three actions in your inbox every week.",
    "Share this story with friends.",
    "Click here to listen.",
    "Read more:",
    "All rights reserved.",
    "Copyright 2020 The Associated Press.",
    "This material may not be published.",
    "FILE PHOTO: A trader on the floor.",
    "I am a participant in the Amazon Services LLC Associates Program.",
    "Video will play in 8 seconds.",
    "立即订阅每日简报。",
    "每天发送到您的收件箱。",
    "请先登录。",
    "注册以获取免费提醒。",
    "请参阅我们的隐私声明。",
    "请关闭广告拦截器。",
    "版权所有，翻印必究。",
    "本材料不得转载。",
    "图片来源：网络。",
    "点击这里收听。",
    "阅读全文。",
    "扫码下载客户端。",
    "欢迎关注我们。",
)


def test_every_phrase_drops_its_notice_and_only_it() -> None:
    """Also keeps the cheap literal pre-check (``_BOILER_HINTS``) in step with the phrases:
    a notice the pre-check missed would survive."""
    from aggregator.cluster import boilerplate

    n_phrases = len(boilerplate._EN_PHRASES) + len(boilerplate._ZH_PHRASES)
    assert len(NOTICES) == n_phrases
    for notice in NOTICES:
        assert boilerplate._BOILER.search(notice), notice
        story = "Floods hit Valencia overnight." if notice.isascii() else "瓦伦西亚夜间遭洪水。"
        assert story_lead(f"{notice}\n{story}") == story, notice
