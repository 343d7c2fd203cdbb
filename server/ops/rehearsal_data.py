"""Sample content of a rehearsal: what a consultation on three topics looks like.

Realistic questions (city rail transit, youth employment, infant care), how a
moderator might have handled each (``plan``), and how many synthetic viewers
upvote it, so the console, the viewer page and the overlay can be tried on a
busy broadcast before going live. Data only; ``server.ops.rehearsal`` writes it.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Plan = Literal["pending", "approved", "on_air", "answered", "rejected"]


class Sample(NamedTuple):
    text: str
    name: str | None  # None: asked anonymously
    plan: Plan  # status it ends in ("pending" becomes "approved" without moderation)
    votes: int = 0  # upvotes from synthetic viewers (public questions only)
    starred: bool = False


# fmt: off
QUESTIONS: tuple[Sample, ...] = (
    # 城市轨道交通
    Sample("地铁6号线东延段什么时候开工？沿线居民最关心工期和夜间施工噪音怎么控制。",
           "王女士", "answered", 31, True),
    Sample("早高峰换乘站排队太长，能不能在换乘站增加换乘通道或者分流闸机？",
           "李先生", "answered", 26),
    Sample("末班车能否延长到23:30？很多上夜班的年轻人下班后已经没有地铁了。",
           "市民小陈", "on_air", 38, True),
    Sample("新线开通后票价会不会上涨？学生和老年人的优惠政策会保留吗？",
           None, "approved", 22),
    Sample("地铁站的无障碍电梯经常停用检修，能不能提前公布维修时间表？",
           "轮椅使用者老周", "approved", 17, True),
    Sample("郊区线路发车间隔太长，高峰期能不能加密到5分钟一班？",
           "通勤族", "approved", 19),
    Sample("地铁和公交的换乘优惠能不能从60分钟延长到90分钟？",
           "赵师傅", "approved", 12),
    Sample("新建车站的出入口位置是怎么确定的？有没有征求过周边居民的意见？",
           "刘阿姨", "pending"),
    Sample("夏天车厢空调太冷，能否像其他城市一样设置弱冷车厢？",
           None, "approved", 8),
    Sample("轨道交通建设的资金从哪里来？会不会增加地方政府的债务负担？",
           "经济系学生", "pending"),
    # 青年就业
    Sample("今年应届毕业生人数创新高，市里新增了哪些面向高校毕业生的岗位？",
           "应届生小林", "answered", 29),
    Sample("青年见习补贴的申请流程能不能简化？现在要跑好几个部门盖章。",
           "张同学", "approved", 21, True),
    Sample("灵活就业的年轻人怎么缴纳社保？外卖骑手能参加工伤保险吗？",
           "骑手小吴", "approved", 24),
    Sample("大学生创业担保贷款的额度和贴息政策今年有没有调整？",
           None, "approved", 9),
    Sample("不少企业招聘设置“35岁以下”的年龄门槛，有没有办法规范？",
           "中年求职者", "approved", 33),
    Sample("职业技能培训补贴覆盖哪些工种？线上课程能不能算学时？",
           "转行中", "pending"),
    Sample("人才公寓的申请条件是什么？非本市户籍的毕业生可以申请吗？",
           "外地毕业生", "approved", 15),
    Sample("招聘网站上虚假岗位太多，有没有官方认证的招聘平台？",
           None, "pending"),
    Sample("毕业生留本市工作的落户政策明年还会延续吗？",
           "研三学生", "approved", 11),
    Sample("招用应届生的中小企业，能享受哪些社保补贴或者税收减免？",
           "小企业主", "pending"),
    # 婴幼儿照护
    Sample("普惠托育机构名额太少，排队要等半年以上，什么时候能增加名额？",
           "二胎妈妈", "approved", 36, True),
    Sample("托育费用每月三四千元，除了个税专项扣除，能不能再给家庭一些补贴？",
           "新手爸爸", "approved", 27),
    Sample("社区嵌入式托育点的保育人员资质由哪个部门来监管？",
           None, "approved", 10),
    Sample("双职工家庭下班晚，托育机构能不能把接送时间延长到晚上七点？",
           "上班族妈妈", "approved", 18),
    Sample("用人单位自办托育点，有没有场地和运营方面的补贴？",
           "企业人事", "pending"),
    Sample("0到3岁婴幼儿免费健康检查包括哪些项目？在哪里预约？",
           "孙女士", "approved", 7),
    Sample("新建小区是否强制配建托育设施？老旧小区又该怎么办？",
           "社区工作者", "pending"),
    Sample("育儿假各单位执行标准不一，有没有监督和投诉的渠道？",
           None, "approved", 14),
    Sample("隔代照护的老人能不能参加免费的科学育儿培训？",
           "外婆", "approved", 6),
    Sample("托育机构的监控视频，家长能不能通过手机实时查看？",
           "家长代表", "pending"),
    # Off topic: how a rejection with a reason looks to its asker.
    Sample("我家楼下的快递柜总是满的，这个归哪个部门管？",
           "路过的网友", "rejected"),
    Sample("主持人今天的衣服在哪里买的？",
           None, "rejected"),
)
# fmt: on

# Shown to the asker of a rejected sample (the reason field of q.status).
REJECT_REASON = "与本场协商议题无关，已转交相关部门处理"

POLL_QUESTION = "下一场协商会，您最希望深入讨论哪个议题？"
POLL_OPTIONS = ("城市轨道交通线网规划", "青年就业支持政策", "普惠托育服务", "其他民生议题")
# Ballots per option from synthetic viewers.
POLL_BALLOTS = (25, 18, 21, 4)

LIKES = 3_120  # a few thousand taps, as a lively half hour has
