"""A realistic sensitive-word list for the tests, built from the categories a
Chinese moderation team keeps: insults, fraud, advertising and contact
touting, fake documents, gambling, sexual services, drugs, weapons and
threats, and politically sensitive terms, which stand here as neutral
placeholders (``占位人物甲子``: the tests need their shape, not the words).

Like a real list it holds compounds, not bare characters (``垃圾人``, never
``垃圾``, which would hold every question about waste sorting), the evasive
spellings moderators meet (homophones such as ``薇信``, letters such as
``vx``), entries pasted from a Taiwan or Hong Kong list in traditional
characters, and a pinyin mark on the insults and fraud terms people spell out
in pinyin. :func:`build` returns (word, action, pinyin) triples for
``sensitive.validate_entries``.
_words(
"""

from __future__ import annotations

import itertools

import opencc

Entry = tuple[str, str, bool]


def _words(text: str) -> list[str]:
    return text.split()


# --- 辱骂 insults (held; the pinyin of the multi-syllable ones too) ---------------------
INSULTS = _words(
    """
傻逼 傻B 傻b 煞笔 沙比 傻比 傻叉 傻缺 傻帽 二逼 二货 脑残 智障 白痴 弱智 蠢货 蠢猪
废物 窝囊废 饭桶 垃圾人 人渣 败类 贱人 贱货 婊子 绿茶婊 心机婊 狗娘养的 王八蛋
混蛋 滚蛋 去死吧 狗东西 畜生 禽兽不如 杂种 野种 他妈的 你妈的 草泥马 尼玛的 卧槽
我靠 操你妈 日你妈 妈逼 屌丝 死全家 全家死光 不得好死 臭不要脸 狗官 神经病 疯狗
猪脑子 脑子进水 舔狗 喷子 狗腿子 走狗 汉奸 卖国贼 渣男 渣女 妈宝男 普信男 键盘侠
死胖子 丑八怪 老不死的 小瘪三 瘪犊子 龟孙子 孙贼 滚犊子 狗崽子 贱骨头 烂人 臭婊子
"""
)
INSULT_SPELLINGS = _words("sb SB shabi nmsl cnm tmd wcnm rnm")  # typed as letters
INSULT_MORE = _words(
    """
傻吊 傻屌 脑瘫 死妈 你妈死了 草你妈 操你大爷 日了狗 狗日的 贱逼 骚逼 骚货 贱婢 狗杂种
死变态 臭傻逼 傻逼玩意 脑残粉 下三滥 不是人 猪狗不如 臭流氓 老流氓 死太监
"""
)

# --- 诈骗 fraud ---------------------------------------------------------------------------
FRAUD = _words(
    """
刷单返利 兼职刷单 刷单兼职 网络刷单 点赞兼职 打字兼职 高额回报 稳赚不赔 保本高息
内幕消息 带你炒股 荐股群 股票内幕 杀猪盘 裸聊 裸聊敲诈 冒充公检法 安全账户 涉嫌洗钱
冻结账户解冻 快递理赔 客服退款 注销校园贷 校园贷 套路贷 裸贷 无抵押贷款 秒批贷款
征信修复 洗白征信 代还信用卡 信用卡套现 花呗套现 白条套现 网贷口子 贷款口子 黑户贷款
中奖通知 恭喜中奖 领取奖金 先交保证金 解冻费 刷流水 跑分 跑分平台 洗钱 四件套
银行卡四件套 猫池 接码平台 短信轰炸 呼死你 改号软件 伪基站 钓鱼网站 冒充客服
冒充警察 冒充领导 冒充熟人 冒充军人 退税诈骗 医保卡冻结 社保卡异常 养老金诈骗
"""
)
FRAUD_PINYIN = _words("刷单 杀猪盘 裸聊 套路贷 跑分 洗钱 校园贷")
TRADE_VERBS = _words("出售 收购 出租 高价收购 低价出售 批量出售 长期收购")
TRADE_GOODS = _words(
    """
银行卡 身份证 手机卡 电话卡 微信号 QQ号 支付宝账号 实名账号 对公账户 营业执照 U盾
网银 流量卡 物联网卡 公民信息 个人信息 手机号码 快递信息 车主信息 学生信息 开户资料
短信验证码 抖音号 快手号 游戏账号 企业账户 法人资料 空壳公司 银行流水 征信报告
二手手机号 老号 白号 黑号 内部资料 考试题库 考前答案 机密文件
"""
)
EARN = _words("日赚 月入 轻松月入 躺赚 日入 在家月入 宝妈月入")
AMOUNTS = _words("五百 一千 三千 五千 过万 十万 500 1000 3000 5000")
SURE = _words("稳赚 保本 高收益 零风险 包赚 翻倍 暴利")
SCHEMES = _words(
    """
公检法通缉令 网上逮捕令 资金冻结 安全账户转账 刷单任务 做任务返佣 垫付返佣 抢单返佣
佣金日结 充值返利 投资返利 高额返利 返利平台 拉人头 传销组织 资金盘 庞氏骗局 原始股认购
内部认购 云挖矿 矿机托管 空投币 USDT收款 跑分车队 洗钱通道 地下钱庄 代收代付 刷单垫付
"""
)
SERVICES = _words(
    """
办理假结婚 买卖器官 肾源 卖肾 代孕妈妈 卵子买卖 高利贷 暴力催收 私家侦探 调查婚外情
手机定位查询 查开房记录 查通话记录 黑客攻击 入侵网站 DDoS攻击 木马程序 盗号 撞库 社工库
"""
)
FAKE_GRADES = _words("高仿 A货 复刻 原单")
FAKE_GOODS = _words("包 手表 鞋 衣服 手机 耳机 香水 化妆品 奢侈品 球鞋 眼镜 首饰 皮带 钱包 围巾")
PHARMACY = _words("无需处方 网上代购 海外代购")
PHARMACY_GOODS = _words("处方药 抗癌药 减肥药 伟哥 仿制药 安眠药 精神类药物")
PRODUCTS = _words("理财 投资 项目 基金 外汇 期货 数字货币 虚拟币 炒股 黄金 原始股 区块链")
LOAN_KINDS = _words("无抵押 免息 秒批 黑户 学生 小额 当天放款 不看征信")
LOANS = _words("贷款 借款 网贷 分期")
SCAM_LINES = _words(
    """
您的快递丢失 您的账户存在风险 点击链接退款 您已被列为嫌疑人 配合调查转账 转到安全账户
资金清查 退还会员费 关闭百万保障 取消分期业务 注销网贷账户 征信受损 刷信誉 提升额度
"""
)

# --- 广告 advertising and contact touting --------------------------------------------
CONTACT_VERBS = _words("加 添加 联系 咨询 私加 速加")
CONTACTS = _words(
    "微信 薇信 威信 V信 vx 徽信 扣扣 QQ 企鹅号 卫星 飞机号 电报群 wx 嶶信 溦信 威芯 薇芯"
)
ADS = _words(
    """
私聊我 私信我领 扫码领取 扫码进群 进群领福利 免费领取福利 点击链接领取 复制链接打开
微商代理 招代理 代理加盟 招商加盟 一件代发 厂家直销 低价出售 特价促销 优惠券领取
好评返现 刷好评 删差评 包过 保过 包拿证 助考 作弊器 考试作弊 四六级答案 驾考包过
减肥药 瘦身神药 丰胸 壮阳 增大增粗 延时喷剂 祛斑神器 代孕 包生男孩 胎儿性别鉴定
无痛人流 包治百病 祖传秘方 特效神药 根治糖尿病 根治高血压 根治癌症 刷粉丝 买粉丝
刷播放量 刷阅读量 僵尸粉 引流推广 精准引流 网站推广 黑帽SEO 快排 代发帖
"""
)
WRITE_VERBS = _words("代写 代做 代考 替考 代刷 代上")
WRITE_OBJECTS = _words(
    """
论文 作业 毕业论文 网课 学分 四六级 雅思 托福 考研 公务员考试 驾照科目一 期末考试
"""
)
BOOST_VERBS = _words("刷 买 卖")
BOOSTED = _words("粉丝 点赞 播放量 评论 关注 转发 收藏 热搜 榜单 票数")
CURE_CLAIMS = _words("根治 包治 治愈 祖传秘方治")
DISEASES = _words(
    """
糖尿病 高血压 癌症 乙肝 痛风 牛皮癣 白癜风 不孕不育 阳痿 早泄 脱发 失眠 抑郁症 鼻炎 风湿
"""
)
FAKE_VERBS = _words("办假 做假 代办假 制作假")
FAKE_DOCUMENTS = _words(
    """
证 身份证 学历 文凭 毕业证 学位证 驾照 结婚证 离婚证 房产证 病历 诊断证明 发票 公章
印章 营业执照 资格证 行驶证 户口本 出生证明 健康证 核酸报告
"""
)
INVOICES = _words("代开发票 代开增值税发票 出售发票 发票代开 真票代开 虚开发票")

# --- 违禁品 illegal goods --------------------------------------------------------------
GOODS_VERBS = _words("出售 代购 批发 货到付款 网购")
GOODS = _words(
    """
迷药 听话水 催情药 窃听器 针孔摄像头 监听设备 GPS定位器 假币 高仿手表 高仿包 仿真枪
气枪 钢珠枪 弩箭 管制刀具 电击器 麻醉枪 走私烟 走私车 枪支配件 子弹 迷幻药 处方药
"""
)

# --- 赌博 gambling ------------------------------------------------------------------------
GAMBLING = _words(
    """
网络赌博 网上赌场 真人荷官 在线赌场 百家乐 时时彩 北京赛车 六合彩 六合彩特码 赌球
足球外围 博彩 彩票内幕 澳门赌场 首充送 注册送彩金 彩金 棋牌提现 捕鱼提现 老虎机
网赌 上分下分 代理返水 返水 电子游艺 赌博网站 体育博彩 彩票计划 必中号码 包中特码
"""
)
CASINO_BRANDS = _words(
    """
金沙 葡京 新葡京 威尼斯人 银河 太阳城 皇冠 永利 美高梅 巴黎人 凯撒 博狗 立博 申博
沙巴 亚博 乐动 开云 九游 华体会
"""
)
CASINO_KINDS = _words("娱乐 国际 棋牌 彩票 体育 官网")

# --- 色情 sexual services ---------------------------------------------------------------
SEX = _words(
    """
约炮 一夜情 援交 包夜 特殊服务 色情网站 成人视频 黄色视频 裸体直播 看片网站 福利视频
福利姬 外围女 楼凤 卖淫 嫖娼 招嫖 小姐上门 全套服务 同城约 找小姐 色情直播
"""
)
SEX_PLACES = _words("上门 包夜 全套 特殊")
SEX_SERVICES = _words("服务 按摩 小姐 妹子")

# --- 毒品 drugs ---------------------------------------------------------------------------
DRUGS = _words(
    """
冰毒 海洛因 大麻 K粉 摇头丸 麻古 可卡因 吸毒 贩毒 溜冰 笑气 开心水 浴盐 神仙水
止咳水上瘾 大麻种子 大麻油 罂粟壳 吗啡 芬太尼 LSD 聪明药 奶茶包 跳跳糖毒品
冰妹 溜冰妹 嗑药 吸大麻 卖大麻 贩卖毒品 毒品交易 制毒 飞叶子
"""
)

# --- 暴力与威胁 violence and threats ---------------------------------------------------
VIOLENCE = _words(
    """
买枪 卖枪 炸药 自制炸弹 雷管 土制炸药 爆炸物 砍死你 杀了你 弄死你 报复社会 同归于尽
人肉搜索 开盒 泄露住址 曝光隐私 炸学校 炸政府 制作炸弹教程 自杀方法 一起自杀
砍人 捅死 泼硫酸 绑架勒索 投毒 纵火 袭警
"""
)

# --- 政治敏感 politically sensitive: neutral placeholders -----------------------------
STEMS = "甲乙丙丁戊己庚辛壬癸"
BRANCHES = "子丑寅卯辰巳午未申酉戌亥"
PLACEHOLDER_KINDS = ("占位人物", "占位事件", "占位口号", "占位组织")

# Taiwan and Hong Kong moderators paste lists in traditional characters: a
# share of the entries are added again as they would arrive (they fold into
# the simplified ones).
_TRADITIONAL_SHARE = 3  # every third entry


def _product(a: list[str], b: list[str]) -> list[str]:
    return [x + y for x, y in itertools.product(a, b)]


def build() -> list[Entry]:
    placeholders = [kind + s + b for kind in PLACEHOLDER_KINDS for s in STEMS for b in BRANCHES]
    # (words, action, pinyin mark)
    groups: list[tuple[list[str], str, bool]] = [
        (INSULTS, "hold", True),
        (INSULT_SPELLINGS, "hold", False),
        (INSULT_MORE, "hold", True),
        (SCHEMES, "block", False),
        (SERVICES, "block", False),
        (_product(FAKE_GRADES, FAKE_GOODS), "hold", False),
        (_product(PHARMACY, PHARMACY_GOODS), "hold", False),
        (FRAUD, "block", False),
        (FRAUD_PINYIN, "block", True),
        (_product(TRADE_VERBS, TRADE_GOODS), "block", False),
        (_product(EARN, AMOUNTS), "hold", False),
        (_product(SURE, PRODUCTS), "hold", False),
        (_product(LOAN_KINDS, LOANS), "hold", False),
        (SCAM_LINES, "block", False),
        (_product(CONTACT_VERBS, CONTACTS), "hold", False),
        (ADS, "hold", False),
        (_product(BOOST_VERBS, BOOSTED), "hold", False),
        (_product(CURE_CLAIMS, DISEASES), "hold", False),
        (_product(WRITE_VERBS, WRITE_OBJECTS), "hold", False),
        (_product(FAKE_VERBS, FAKE_DOCUMENTS), "block", False),
        (INVOICES, "block", False),
        (_product(GOODS_VERBS, GOODS), "block", False),
        (GAMBLING, "block", False),
        (_product(CASINO_BRANDS, CASINO_KINDS), "hold", False),
        (SEX + _product(SEX_PLACES, SEX_SERVICES), "block", False),
        (DRUGS, "block", False),
        (VIOLENCE, "hold", False),
        (placeholders, "hold", False),
    ]
    entries = [(w, action, pinyin) for words, action, pinyin in groups for w in words]
    to_traditional = opencc.OpenCC("s2tw")
    pasted = []
    for word, action, pinyin in entries[::_TRADITIONAL_SHARE]:
        written = to_traditional.convert(word)
        if written != word:
            pasted.append((written, action, pinyin))
    return entries + pasted
