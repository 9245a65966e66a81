"""The kiosk's one message catalogue: every text on screen and in voice guidance, in Chinese and English.

`text(key, language, **params)` formats an entry; a missing key is a bug (the tests check every key the
flow and screens use), so it is shown as the key itself rather than crashing the kiosk.
"""

from __future__ import annotations

import logging
import string

from kiosk.flow.model import Language

log = logging.getLogger(__name__)

MESSAGES: dict[str, tuple[str, str]] = {
    # Shell
    "app_title": ("政务服务 24 小时自助终端", "24-hour government self-service terminal"),
    "touch_to_begin": ("请触摸屏幕开始", "Touch the screen to begin"),
    "attract_hint": ("或直接将身份证放在读卡区", "or place your ID card on the reader"),
    "welcome": ("欢迎使用政务服务自助终端，请选择语言。", "Welcome. Please choose a language."),
    "choose_language": ("请选择语言", "Please choose a language"),
    "back": ("返回", "Back"),
    "home": ("主菜单", "Menu"),
    "finish": ("结束办理", "End session"),
    "elder_mode": ("长者模式", "Elder mode"),
    "elder_offer": (
        "您可以开启长者模式：字更大，操作时间更长。点右上角“长者模式”即可。取号请点“取优先号”，优先叫号。",
        "You may turn on elder mode (top right): larger text and more time for each step. "
        "“Priority ticket” gives you a ticket that is called first.",
    ),
    "finish_confirm": (
        "确定结束办理吗？您正在填写的申请尚未提交，结束后不会保存。",
        "End the session? The application you are filling in is not submitted and will not be kept.",
    ),
    "finish_yes": ("确定结束", "Yes, end"),
    "finish_no": ("继续办理", "No, continue"),
    "elder_on": (
        "已开启长者模式：字更大，操作时间更长，全程语音。",
        "Elder mode is on: larger text, more time for each step, voice.",
    ),
    "elder_off": ("已关闭长者模式。", "Elder mode is off."),
    "text_larger": ("字号 +", "Text +"),
    "text_smaller": ("字号 －", "Text -"),
    "offline_banner": (
        "暂时连不上政务服务系统：申请会加密保存，恢复后自动提交；取号、取件照常。",
        "The service system is unreachable: applications are kept encrypted and sent when it returns; "
        "tickets and lockers still work.",
    ),
    "outbox_pending": ("待提交的申请：{count} 件", "Applications waiting to be sent: {count}"),
    "countdown": (
        "您很久没有操作了，{seconds} 秒后将结束办理并清除您的信息。触摸屏幕继续。",
        "No activity for a while: in {seconds} seconds the session ends and your data is erased. "
        "Touch the screen to continue.",
    ),
    "take_card": ("请取走您的身份证。", "Please take your ID card."),
    "goodbye": ("感谢使用，您的信息已全部清除。", "Thank you. All your data has been erased."),
    "please_wait": ("请稍候……", "Please wait…"),
    # Busy states
    "identifying": ("正在核验身份……", "Checking your identity…"),
    "sending_code": ("正在发送验证码……", "Sending the code…"),
    "loading": ("正在加载……", "Loading…"),
    "capturing": ("正在拍摄，请保持材料不动……", "Capturing: please keep the page still…"),
    "submitting": ("正在提交……", "Submitting…"),
    "printing": ("正在打印……", "Printing…"),
    "taking_ticket": ("正在取号……", "Taking a ticket…"),
    "opening_locker": ("正在打开柜门……", "Opening the locker…"),
    "sending": ("正在发送……", "Sending…"),
    # Identify
    "identify_title": ("请验证身份", "Please identify yourself"),
    "identify_prompt": (
        "请将身份证放在读卡区，或出示电子证照二维码，也可以用手机号和验证码登录。",
        "Place your ID card on the reader, show your e-ID QR code, or sign in with your phone number.",
    ),
    "identify_card": ("请将身份证平放在读卡区。", "Place your ID card flat on the reader."),
    "identify_qr": ("请将二维码对准扫描窗口。", "Hold the QR code in front of the scanner."),
    "identify_phone": ("请输入手机号，我们将发送验证码。", "Enter your mobile number; we will send a code."),
    "method_card": ("身份证", "ID card"),
    "method_qr": ("电子证照二维码", "e-ID QR code"),
    "method_phone": ("手机号 + 验证码", "Phone + code"),
    "phone_label": ("手机号", "Mobile number"),
    "code_label": ("验证码", "Code"),
    "send_code": ("发送验证码", "Send code"),
    "sign_in": ("登录", "Sign in"),
    "phone_invalid": (
        "手机号应为 11 位数字，请重新输入。",
        "A mobile number has 11 digits; please try again.",
    ),
    "code_invalid": ("验证码为 6 位数字。", "The code has 6 digits."),
    "code_sent": ("验证码已发送，请查看短信。", "The code has been sent; please check your messages."),
    "phone_not_allowed": (
        "本终端不支持手机号登录，请使用身份证或二维码。",
        "Phone sign-in is not available here.",
    ),
    "identify_rejected": (
        "身份未能核验，请重试或到窗口办理。",
        "We could not verify you; try again or visit a window.",
    ),
    "card_unreadable": (
        "身份证无法读取，请重新放置；仍不行请到窗口办理。",
        "The card could not be read; place it again, or please visit a window.",
    ),
    "card_expired": (
        "身份证已过有效期，请使用有效证件，或到窗口办理。",
        "This ID card has expired; please use a valid card or visit a window.",
    ),
    "card_removed": (
        "读卡时身份证被移开，请重新放好，读完前不要拿走。",
        "The card was moved while reading; place it again and leave it until it is read.",
    ),
    "qr_invalid": (
        "二维码无效或已过期，请刷新后重试。",
        "The QR code is invalid or expired; refresh it and retry.",
    ),
    "code_wrong": ("验证码不正确或已过期。", "The code is wrong or expired."),
    "code_too_many": (
        "尝试次数过多，请稍后重新获取验证码。",
        "Too many tries; please wait a moment and ask for a new code.",
    ),
    "phone_unknown": (
        "该手机号没有办件记录，请使用身份证或二维码登录。",
        "No application was made with this number; please use your ID card or QR code.",
    ),
    # Menu
    "greeting": ("{name}，您好！请选择要办理的事项。", "Hello, {name}. What would you like to do?"),
    "menu_title": ("请选择服务", "Choose a service"),
    "id_shown": ("证件号码：{masked}", "ID number: {masked}"),
    "service_guide": ("办事指南", "Service guide"),
    "service_apply": ("申请办理", "Apply"),
    "service_progress": ("进度查询", "My cases"),
    "service_certificates": ("证照打印", "Print certificate"),
    "service_ticket": ("取号", "Take a ticket"),
    "service_pickup": ("取件", "Collect from locker"),
    "service_rating": ("评价", "Rate a service"),
    "service_verify": ("证照核验", "Check a certificate"),
    "service_complaint": ("投诉", "Make a complaint"),
    "verify_entry": ("无需登录：证照核验", "No sign-in: check a certificate"),
    # Guide and item
    "guide_title": ("办事指南", "Service guide"),
    "search_hint": ("输入事项名称或部门，如“{example}”", "Item or department, e.g. “{example}”"),
    "search_hint_plain": ("输入事项名称或部门", "Item or department"),
    "search": ("搜索", "Search"),
    "keyboard_pinyin": ("拼音键盘", "Pinyin keyboard"),
    "keyboard_hide": ("收起键盘", "Hide keyboard"),
    "keyboard_help": (
        "输入拼音选字（如 shipin → 食品），或输入首字母直接搜索（如 spjy）",
        "Type pinyin and pick the characters (e.g. “shipin” for 食品), or search by initials (spjy)",
    ),
    "key_clear": ("清空", "Clear"),
    "digit_pad_help": ("用下方数字键输入手机号", "Type your phone number on the keys below"),
    "key_space": ("空格", "Space"),
    "browse_by": ("分类浏览", "Browse"),
    "facet_category": ("按主题", "By theme"),
    "facet_department_zh": ("按部门", "By department"),
    "facet_applicant_type": ("按办事对象", "For whom"),
    "facet_life_events": ("按生活事件", "By life event"),
    "browsing": ("{facet}：{value}", "{facet}: {value}"),
    "no_english_names": (
        "事项名称暂无英文版本，以下显示中文名称及拼音。",
        "Item names have no English version yet: shown in Chinese with pinyin.",
    ),
    # The catalogue's own themes and groups of applicants (its fields' fixed values).
    "value_经营类": ("经营类", "Running a business"),
    "value_公民类": ("公民类", "Citizens"),
    "value_工程类": ("工程类", "Construction"),
    "value_自然人": ("个人", "Individuals"),
    "value_法人或其他组织": ("法人或其他组织", "Companies and organisations"),
    # The catalogue's life events (生活事件), a person's and an enterprise's.
    "value_出生": ("出生", "Having a baby"),
    "value_上学": ("上学", "School"),
    "value_就业": ("就业", "Employment"),
    "value_结婚": ("结婚", "Marriage"),
    "value_建房": ("建房", "Building a home"),
    "value_退休": ("退休", "Retirement"),
    "value_身后": ("身后", "After a death"),
    "value_开办企业": ("开办企业", "Starting a business"),
    "value_经营许可": ("经营许可", "Licences to operate"),
    "value_资质认证": ("资质认证", "Certification"),
    "value_招工用工": ("招工用工", "Hiring staff"),
    "value_工程建设": ("工程建设", "Construction works"),
    "value_农林牧渔": ("农林牧渔", "Farming"),
    "value_注销歇业": ("注销歇业", "Closing a business"),
    "nothing_found": ("没有找到相关事项，请换个说法。", "Nothing found; try other words."),
    "materials": ("申请材料", "Materials"),
    "time_limit": ("承诺时限：{days} 个工作日", "Time limit: {days} working days"),
    "fee": ("收费：{fee}", "Fee: {fee}"),
    "steps": ("办理流程", "Steps"),
    "department": ("实施部门：{department}", "Department: {department}"),
    "print_guide": ("打印指南", "Print the guide"),
    "apply_now": ("在线申请", "Apply here"),
    "apply_at_window": ("此事项需到窗口办理。", "This item must be applied for at a window."),
    "optional": ("（选交）", "(optional)"),
    # Apply
    "form_title": ("填写申请信息", "Your details"),
    "form_prompt": (
        "请核对已从身份证读取的信息，补充联系电话和地址。",
        "Check the details from your card; add phone and address.",
    ),
    "field_name": ("姓名", "Name"),
    "field_id_number": ("证件号码", "ID number"),
    "field_phone": ("联系电话", "Phone"),
    "field_address": ("地址", "Address"),
    "field_required": ("请填写{field}。", "Please fill in {field}."),
    "next": ("下一步", "Next"),
    "capture_title": ("提交材料", "Materials"),
    "capture_prompt": (
        "请逐项拍摄材料，或使用您材料库中已有的文件。",
        "Capture each material, or reuse one from your library.",
    ),
    "capture_place": ("请将材料正面朝上放在拍摄区。", "Place the page face up under the camera."),
    "capture": ("拍摄", "Capture"),
    "recapture": ("重拍", "Retake"),
    "use_library": ("用材料库", "Use library"),
    "captured": ("已拍摄，画面清晰。", "Captured: the page is clear."),
    "library_used": ("已使用材料库中的文件。", "Using the document from your library."),
    "capture_unclear": (
        "画面不清楚，请放平材料后重拍。",
        "The picture is not clear; flatten the page and retry.",
    ),
    "capture_no_page": ("没有找到材料，请将材料放在拍摄区内。", "No page found; place it inside the frame."),
    "complete": ("清单所列材料已全部拍摄", "Every listed material is captured"),
    "no_material_list": (
        "本事项未列出申请材料；窗口审查时如需材料，会一次性告知。",
        "This item lists no materials; if the window needs any, it tells you all at once.",
    ),
    "missing_count": ("还缺 {count} 项材料", "{count} material(s) missing"),
    "submit": ("提交申请", "Submit"),
    "submit_incomplete_hint": (
        "材料不全也可以提交，我们会打印一次性告知书，列明全部缺少的材料。",
        "You may submit with materials missing: a one-time notice lists everything still needed.",
    ),
    "submission_submitted": (
        "申请已提交，尚未受理。窗口将审查您的申请，受理审查期限：{date}；受理后 {days} 个工作日内办结。"
        "正在打印提交回执。",
        "Your application is submitted, not yet accepted. The window reviews it and decides on acceptance "
        "by {date}; once accepted, it is decided within {days} working days. "
        "Printing your submission receipt.",
    ),
    "submission_submitted_soon": (
        "申请已提交，尚未受理。窗口将在 5 个工作日内审查并决定是否受理；受理后 {days} 个工作日内办结。"
        "正在打印提交回执。",
        "Your application is submitted, not yet accepted. The window reviews it and decides on acceptance "
        "within 5 working days; once accepted, it is decided within {days} working days. Printing your "
        "submission receipt.",
    ),
    "receipt_title": ("提交回执", "Submission receipt"),
    "receipt_state": ("状态：已提交，尚未受理", "Status: submitted, not yet accepted"),
    "receipt_review": (
        "受理审查期限：{date}（窗口审查后决定是否受理）",
        "Acceptance decided by {date} (window review)",
    ),
    "receipt_review_soon": (
        "受理审查期限：提交后 5 个工作日内",
        "Acceptance decided within 5 working days of submission",
    ),
    "receipt_decision": ("受理后 {days} 个工作日内办结", "Decided within {days} working days of acceptance"),
    "receipt_progress": ("办理进度可在自助终端“进度查询”查看。", "Follow it under “My cases” at any kiosk."),
    "supplement_submitted": (
        "补正材料已交回窗口审查，正在打印回执。",
        "Your missing materials are in and the case is back with the clerk. Printing your receipt.",
    ),
    "submission_incomplete": (
        "材料不全，正在打印补正材料一次性告知书。",
        "Materials are missing. Printing the one-time notice of everything still needed.",
    ),
    "submission_queued": (
        "系统暂时无法连接，您的申请已加密保存，恢复后自动提交，不会重复。",
        "The system is unreachable: your application is kept encrypted and sent once, when it returns.",
    ),
    "case_number": ("办件编号：{case_id}", "Case number: {case_id}"),
    "missing_list": ("需补正的材料：", "Still needed:"),
    # Progress, certificates, ticket, pickup, rating
    "progress_title": ("我的办件", "My cases"),
    "no_cases": ("暂无办件。", "No cases yet."),
    "stage": ("阶段：{stage}", "Stage: {stage}"),
    "supplement_button": ("补正材料", "Give the missing materials"),
    "supplement_prompt": (
        "已交的材料不用再交，请拍摄缺少的 {count} 份材料后提交。",
        "What you gave before is kept; capture the {count} missing material(s), then submit.",
    ),
    "due": ("办结期限：{date}", "Due: {date}"),
    # A date in a year whose holidays are not yet announced (any message's {date} with estimated="yes").
    "estimated_date": ("{date}（预计）", "{date} (estimated)"),
    "next_step": ("下一步：{text}", "Next: {text}"),
    "certificates_title": ("可打印的证照", "Certificates ready to print"),
    "no_certificates": ("暂无可打印的证照。", "No certificate is ready."),
    "print_original": ("打印正本", "Print original"),
    "print_copy": ("打印副本", "Print copy"),
    "ticket_title": ("取号", "Queue ticket"),
    "ticket_taken": (
        "您的号码是 {number}，请留意叫号。",
        "Your number is {number}; please watch the display.",
    ),
    "ticket_number": ("{number}", "{number}"),
    "service_priority_ticket": ("取优先号", "Priority ticket"),
    "ticket_priority": ("优先号：优先叫号", "Priority ticket: called first"),
    "ticket_wait": ("前面还有 {waiting} 人，预计等候 {minutes} 分钟", "{waiting} ahead, about {minutes} min"),
    "ticket_not_printed": (
        "打印机故障，请记下您的号码。",
        "The printer is out of order; please note your number.",
    ),
    "pickup_title": ("取件", "Collect from locker"),
    "locker_opened": (
        "柜门已打开，请取走您的材料并关好柜门。",
        "The door is open: take your papers and close the door.",
    ),
    "locker_where": (
        "请到 {locker} 号柜 {compartment} 号格取件",
        "Please collect from locker {locker}, compartment {compartment}",
    ),
    "pickup_entry": (
        "无需登录：凭取件码或短信二维码取件",
        "No sign-in: collect with a pickup code or SMS QR",
    ),
    "pickup_prompt": (
        "请输入短信中的取件码（8位数字），或把短信里的取件二维码对准扫码口，或把本人身份证放到读卡区。",
        "Type the 8-digit pickup code from your SMS, hold the SMS's pickup QR to the scanner, "
        "or lay your ID card on the reader.",
    ),
    "pickup_code_label": ("取件码", "Pickup code"),
    "open_locker": ("开柜取件", "Open the locker"),
    "locker_code_format": (
        "取件码是 8 位数字，请核对后重新输入。",
        "The pickup code has 8 digits; please check it.",
    ),
    "locker_wrong_code": (
        "取件码不正确，请核对短信后重新输入；多次输错会被暂时锁定。",
        "That pickup code is not right. Check your SMS and type it again; "
        "many wrong tries lock it for a while.",
    ),
    "locker_wrong_qr": (
        "这个二维码不能打开本柜，请确认是本大厅发来的取件短信，或输入取件码。",
        "This QR does not open this locker. Check that the SMS is from this hall, or type the pickup code.",
    ),
    "locker_already_collected": (
        "这件材料已经取走了。如有疑问请到窗口咨询。",
        "These papers have already been collected. Ask at a window if this is wrong.",
    ),
    "locker_code_expired": (
        "取件码已过期，材料已转回窗口，请凭身份证到窗口领取。",
        "The pickup code has expired; please collect at a window with your ID card.",
    ),
    "locker_locked_out_for": (
        "输错次数过多，本机输入取件码已锁定{minutes}分钟。您仍可在本机扫短信里的取件二维码或放上本人"
        "身份证取件，也可在取件柜自带的键盘上输入取件码，或到窗口领取。",
        "Too many wrong codes: typing a code at this kiosk is locked for {minutes} min. You can still "
        "show the SMS's pickup QR or lay your ID card here, type the code on the locker bank's own "
        "keypad, or collect at a window.",
    ),
    "nothing_to_pick_up": ("您暂无待取的材料。", "There is nothing waiting for you."),
    "ticket_already_held": (
        "您已持有此业务的号票，或今天取号已达上限。请留意叫号屏，需要帮助请到咨询台。",
        "You already hold a ticket for this service, or have taken today's most. "
        "Watch the calling screen, or ask at the help desk.",
    ),
    "ticket_outside_hours": (
        "现在不在此业务的取号时间内，请在办公时间取号，或到咨询台询问。",
        "Tickets for this service are not issued at this hour; come back in opening hours or ask "
        "at the help desk.",
    ),
    "ticket_cap_reached": (
        "今天此业务的号已经取完，请改日再来或在网上预约，也可到咨询台询问。",
        "Today's tickets for this service are all taken; come another day, book online, or ask at the "
        "help desk.",
    ),
    "locker_jammed": (
        "柜门没有打开。您的材料仍在柜中，请到窗口请工作人员取出。",
        "The locker door did not open. Your papers are still inside: ask a clerk at a window.",
    ),
    "locker_locked_out": (
        "输错次数过多，本机输入取件码暂时锁定。您仍可在本机扫短信里的取件二维码或放上本人身份证取件，"
        "也可在取件柜自带的键盘上输入取件码，或到窗口领取。",
        "Too many wrong codes: typing a code at this kiosk is locked for a while. You can still show "
        "the SMS's pickup QR or lay your ID card here, type the code on the locker bank's own keypad, "
        "or collect at a window.",
    ),
    "locker_unavailable": (
        "取件柜暂时无法为您开门，请到窗口领取。",
        "The locker cannot open for you now; please collect at a window.",
    ),
    "rating_title": ("服务评价", "Rate a service"),
    "rating_scores": ("非常不满意 · 不满意 · 基本满意 · 满意 · 非常满意", "1 very poor … 5 very good"),
    "thanks_rating": ("感谢您的评价。", "Thank you for your rating."),
    "nothing_to_rate": ("暂无可评价的办件。", "No finished case to rate."),
    "complaint_title": ("投诉", "Make a complaint"),
    "complaint_help": (
        "请选择要投诉的办件，再点投诉的原因。相关部门将在5个工作日内答复。",
        "Choose the case, then touch what went wrong. The department answers within 5 working days.",
    ),
    "complaint_reason_overdue": ("超过承诺时限仍未办结", "Not finished within the promised time"),
    "complaint_reason_attitude": ("工作人员服务态度不好", "Staff were unhelpful or rude"),
    "complaint_reason_unclear": ("材料要求不清楚，反复补正", "The materials asked for were unclear"),
    "complaint_reason_trips": ("让我多次跑腿", "I was made to come back more than once"),
    "hall_complaint_entry": (
        "对大厅投诉（排队、态度、设备、环境等）",
        "Complain about the hall (queue, staff, machines…)",
    ),
    "hall_complaint_free_entry": ("无需登录：对大厅投诉", "No sign-in: complain about the hall"),
    "hall_complaint_title": ("对大厅投诉", "Complain about the hall"),
    "hall_complaint_prompt": (
        "请选择投诉事项。大厅管理机构（政务服务中心）将在5个工作日内答复。",
        "Touch what went wrong. The hall's managing office answers within 5 working days.",
    ),
    "hall_topic_waiting": ("排队等候时间过长", "Waited too long"),
    "hall_topic_rude_clerk": ("工作人员态度不好", "A member of staff was rude"),
    "hall_topic_broken_machine": ("设备损坏或无法使用", "A machine is broken"),
    "hall_topic_cleanliness": ("环境卫生", "Cleanliness"),
    "hall_topic_opening_hours": ("开放时间", "Opening hours"),
    "hall_topic_other": ("其他", "Something else"),
    "hall_complaint_phone": ("联系电话（选填）", "Contact phone (optional)"),
    "hall_complaint_anonymous_note": (
        "不留电话即为匿名投诉：我们将处理，但无法告知您处理结果。",
        "Without a phone number the complaint is anonymous: it is dealt with, "
        "but nobody can tell you the answer.",
    ),
    "hall_complaint_no_phone_note": (
        "不留电话则无法告知您处理结果。",
        "Without a phone number nobody can tell you the answer.",
    ),
    "hall_complaint_filed_no_phone": (
        "投诉已登记，大厅管理机构将于 {reply_by} 前处理；未留电话，无法告知您处理结果。",
        "Your complaint is registered; the hall's office deals with it by {reply_by}. "
        "You left no phone, so nobody can tell you the answer.",
    ),
    "hall_complaint_send": ("提交投诉", "Send the complaint"),
    "hall_complaint_choose_topic": ("请先点选投诉事项。", "First touch what went wrong."),
    "hall_complaint_filed": (
        "投诉已登记，大厅管理机构将于 {reply_by} 前答复，并按您留的电话告知您。",
        "Your complaint is registered; the hall's office will answer by {reply_by} and tell you by phone.",
    ),
    "hall_complaint_filed_anonymous": (
        "匿名投诉已登记，大厅管理机构将于 {reply_by} 前处理；未留电话，无法告知您处理结果。",
        "Your anonymous complaint is registered; the hall's office deals with it by {reply_by}. "
        "You left no phone, so nobody can tell you the answer.",
    ),
    "complaint_filed": (
        "投诉已登记，相关部门将于 {reply_by} 前答复您。",
        "Your complaint is registered; the department will answer by {reply_by}.",
    ),
    "nothing_to_complain": (
        "您暂无办件。对大厅本身的意见，请点“对大厅投诉”。",
        "You have no case. About the hall itself, touch “Complain about the hall”.",
    ),
    # Printing
    "printed_guide": ("办事指南已打印，请取走。", "The guide is printed; please take it."),
    "printed_receipt": ("提交回执已打印，请取走。", "Your submission receipt is printed; please take it."),
    "printed_notice": ("一次性告知书已打印，请取走。", "The notice is printed; please take it."),
    "supplement_received": (
        "补正材料已收到，办件已交回窗口审查。",
        "The missing materials are received; the case is back with the clerk.",
    ),
    "printed_supplement_receipt": ("回执已打印，请取走。", "Your receipt is printed; please take it."),
    "printed_certificate": ("证照已打印，请取走。", "The certificate is printed; please take it."),
    "printed_ticket": ("号票已打印，请取走。", "Your ticket is printed; please take it."),
    # Faults and the service
    "fault_title": ("设备暂时无法使用", "This device is not available"),
    "fault_card_reader": (
        "读卡器暂时无法使用，很抱歉。您可以：",
        "Sorry, the card reader is not working. You can:",
    ),
    "fault_scanner": (
        "扫码器暂时无法使用，很抱歉。您可以：",
        "Sorry, the QR scanner is not working. You can:",
    ),
    "fault_camera": (
        "拍摄仪暂时无法使用，很抱歉。您可以：",
        "Sorry, the document camera is not working. You can:",
    ),
    "fault_printer": (
        "打印机暂时无法使用（可能缺纸），很抱歉。您可以：",
        "Sorry, the printer is not working. You can:",
    ),
    "alt_qr": ("出示电子证照二维码登录", "sign in with your e-ID QR code"),
    "alt_phone": ("用手机号和验证码登录", "sign in with your phone and a code"),
    "alt_card": ("用身份证登录", "sign in with your ID card"),
    "alt_window": ("到人工窗口办理（可先取号）", "go to a staff window (take a ticket first)"),
    "alt_library": ("使用材料库中已有的文件", "reuse a document from your library"),
    "alt_other_kiosk": ("使用大厅内其他自助终端", "use another kiosk in the hall"),
    "alt_locker": ("选择到智能柜领取", "collect it from a locker"),
    "alt_mail": ("选择邮寄送达", "have it sent by mail"),
    "alt_verify_online": (
        "用手机扫描证照上的二维码，在线核验",
        "scan the certificate's QR with a phone to check it online",
    ),
    # Checking a printed certificate (no sign-in)
    "verify_title": ("证照核验", "Check a certificate"),
    "verify_prompt": (
        "请将证照上的二维码对准扫描窗口。",
        "Hold the QR code on the certificate under the scanner.",
    ),
    "verifying": ("正在核验，请稍候……", "Checking, please wait…"),
    "verify_valid": ("证照有效。", "This certificate is valid."),
    "verify_valid_offline": (
        "签名有效（离线核验，未能查询吊销）。",
        "The signature is genuine (checked offline; revocation not checked).",
    ),
    "verify_forged": (
        "证照无效：二维码内容与签名不符，可能被篡改或伪造。",
        "Not valid: the QR does not match its signature; it may be altered or forged.",
    ),
    "verify_damaged": (
        "无法识别：这不是证照二维码，或二维码已损坏。",
        "Cannot read it: this is not a certificate QR code, or the code is damaged.",
    ),
    "verify_unknown_key": (
        "证照无效：签发密钥不被信任，并非本系统签发。",
        "Not valid: it was signed with a key this system does not trust.",
    ),
    "verify_unknown": (
        "证照无效：系统中没有这张证照（或与记录不一致）。",
        "Not valid: the system holds no such certificate (or a different version).",
    ),
    "verify_revoked": ("证照无效：已被吊销。", "Not valid: this certificate has been revoked."),
    "verify_superseded": (
        "证照已失效：已换发新证，请以新证为准。",
        "No longer valid: a newer certificate has replaced it.",
    ),
    "verify_expired": ("证照已过有效期。", "This certificate has expired."),
    "verify_offline": (
        "暂时连不上政务服务系统：已离线核验签名，但无法查询是否被吊销或换发。",
        "The service system is unreachable: the signature was checked offline, "
        "but revocation could not be checked.",
    ),
    "verify_unavailable": (
        "暂时无法核验（系统连不上，本机也没有核验密钥），请稍后再试或到窗口核验。",
        "Cannot check now (the system is unreachable and no keys are cached); try later or ask at a window.",
    ),
    "verify_timed_out": ("证照核验已超时结束。", "The certificate check timed out."),
    "verify_holder": ("持证人：{name}", "Holder: {name}"),
    "verify_certificate": ("证照名称：{name}", "Certificate: {name}"),
    "verify_number": ("证照编号：{number}", "Number: {number}"),
    "verify_validity": ("有效期：{start} 至 {end}", "Valid: {start} to {end}"),
    "verify_no_end": ("长期", "no end date"),
    "verify_authority": ("发证机关：{name}", "Issued by: {name}"),
    "verify_superseded_by": ("新证编号：{number}", "Newer certificate: {number}"),
    "verify_again": ("可继续扫描下一张证照。", "You can scan another certificate."),
    "fault_reported": ("已通知大厅工作人员。", "Hall staff have been told."),
    "service_offline": (
        "暂时连不上政务服务系统：可以取号、取件，申请会加密保存并在恢复后自动提交。",
        "The service system is unreachable: tickets and lockers work; applications are kept and sent later.",
    ),
    "service_error": (
        "系统暂时出错，请稍后重试或到窗口办理。",
        "Something went wrong; retry later or visit a window.",
    ),
    "print_failed": (
        "打印失败，请到窗口领取纸质文书。",
        "Printing failed; please collect the paper at a window.",
    ),
    "not_found": ("没有找到该记录。", "That record was not found."),
}

LABELS = {
    "name": "field_name",
    "id_number": "field_id_number",
    "phone": "field_phone",
    "address": "field_address",
}


def text(key: str, language: Language, **params: object) -> str:
    entry = MESSAGES.get(key)
    if entry is None:
        log.error("no message for key %r", key)
        return key
    template = entry[0] if language is Language.ZH else entry[1]
    if params.get("estimated") == "yes" and "date" in params:
        params = {**params, "date": text("estimated_date", language, date=params["date"])}
    if key == "field_required" and "field" in params:
        params = {**params, "field": text(LABELS.get(str(params["field"]), str(params["field"])), language)}
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        log.exception("message %r is missing a parameter", key)
        return template


def placeholders(template: str) -> frozenset[str]:
    return frozenset(name for _text, name, _spec, _conv in string.Formatter().parse(template) if name)
