//! The interface's words in Vietnamese (the default) and English. Templates call `t("key")`.
//! Labels of the domain vocabularies (positions, affiliations, statuses, roles) come from their
//! own Vietnamese labels in [`crate::vocab`] and [`crate::auth::Role`], so they are written once.

use crate::auth::Role;
use crate::vocab::{Affiliation, Gender, Position, TeamStatus, Vocab};

/// The interface languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// (key, Vietnamese, English).
const WORDS: &[(&str, &str, &str)] = &[
    ("home.first.campaigns", "Phong trào thi đua", "Emulation campaigns"),
    ("home.first.nominations", "Giới thiệu đoàn viên", "Youth nominations"),
    ("home.first.public", "Trang kết quả công khai", "Public results page"),
    ("home.first.guidance", "Tài liệu hướng dẫn", "Guidance documents"),
    ("home.first.group", "Tổ quản lý", "Management group"),
    ("campaign.list_title", "Phong trào thi đua", "Emulation campaigns"),
    ("campaign.none", "Chưa có phong trào thi đua nào.", "No emulation campaign yet."),
    ("campaign.new", "Phát động phong trào mới", "New campaign"),
    ("campaign.create", "Tạo phong trào", "Create the campaign"),
    (
        "campaign.base_hint",
        "Mỗi dòng một đơn vị: mã đơn vị, dấu hai chấm, rồi chỉ tiêu=giá trị (ví dụ 21835: ho_gia_dinh=1.450). Chỉ ghi một số thì hiểu là số hộ gia đình.",
        "One unit per line: its code, a colon, then indicator=value (e.g. 21835: ho_gia_dinh=1,450). A number alone is the households.",
    ),
    ("campaign.field.name", "Tên phong trào", "Campaign name"),
    ("campaign.field.period", "Kỳ thi đua (năm, quý, 6 tháng)", "Campaign period (year, quarter, half-year)"),
    ("campaign.field.template", "Lấy số liệu từ báo cáo", "Figures from the report"),
    (
        "campaign.field.base_figures",
        "Số liệu nền (không có trong báo cáo)",
        "Base figures (not in the reports)",
    ),
    ("campaign.field.award", "Hình thức khen thưởng", "Form of award"),
    ("campaign.field.justification", "Căn cứ, lý do đề nghị", "Grounds of the proposal"),
    ("campaign.field.decision_number", "Số quyết định", "Decision number"),
    ("campaign.field.decision_date", "Ngày quyết định", "Decision date"),
    ("campaign.field.lines", "Danh sách đề nghị", "Proposed candidates"),
    ("campaign.status.open", "Đang mở", "Open"),
    ("campaign.status.evaluating", "Đang xét", "Being evaluated"),
    ("campaign.status.closed", "Đã kết thúc", "Closed"),
    ("campaign.proposal.proposed", "Chờ Phòng VH-TT ký phối hợp", "Awaiting the co-signature"),
    ("campaign.proposal.cosigned", "Chờ lãnh đạo quyết định", "Awaiting the decision"),
    ("campaign.proposal.decided", "Đã có quyết định khen thưởng", "Decided"),
    ("campaign.outcome", "Kết quả", "Outcome"),
    ("campaign.outcome.pending", "Chờ quyết định", "Pending"),
    ("campaign.outcome.approved", "Được khen thưởng", "Approved"),
    ("campaign.outcome.rejected", "Không khen thưởng", "Rejected"),
    ("campaign.outcome.forwarded", "Đề nghị cấp trên khen thưởng", "Proposed to the higher level"),
    ("campaign.results", "Kết quả chấm điểm", "Evaluation results"),
    ("campaign.evaluated", "Chấm điểm lúc", "Evaluated on"),
    (
        "campaign.from_reports",
        "Số liệu từ các báo cáo đã tiếp nhận kỳ",
        "Figures from the accepted reports of",
    ),
    (
        "campaign.not_evaluated",
        "Chưa chấm điểm. Chấm điểm lấy số liệu từ các báo cáo đã được tiếp nhận.",
        "Not evaluated yet. Evaluating reads the accepted reports.",
    ),
    ("campaign.evaluate", "Chấm điểm từ số liệu báo cáo", "Evaluate from the reports"),
    ("campaign.evaluate_again", "Chấm điểm lại", "Evaluate again"),
    (
        "campaign.evaluate_hint",
        "Kết quả được lưu lại cùng phiên bản tiêu chí đã dùng.",
        "The results are kept with the version of the criteria used.",
    ),
    ("campaign.figures_used", "Số liệu đã dùng", "Figures used"),
    ("campaign.propose_this", "Đưa vào tờ trình", "Propose"),
    ("campaign.propose", "Lập tờ trình đề nghị khen thưởng", "Make the proposal"),
    ("campaign.proposal", "Tờ trình đề nghị khen thưởng", "Proposal"),
    ("campaign.proposed_by", "Lập", "Proposed"),
    ("campaign.cosigned_by", "Phối hợp ký", "Co-signed"),
    ("campaign.decided_by", "Quyết định", "Decided"),
    ("campaign.decision", "Quyết định số", "Decision no."),
    ("campaign.dated", "ngày", "of"),
    ("campaign.candidate", "Tập thể, cá nhân", "Candidate"),
    ("campaign.approve", "Khen thưởng", "Approve"),
    ("campaign.reject", "Không khen thưởng", "Reject"),
    ("campaign.reject_reason", "Lý do (nếu không khen thưởng)", "Reason (when rejected)"),
    ("campaign.decide", "Ban hành quyết định khen thưởng", "Issue the decision"),
    ("campaign.cosign", "Ký phối hợp tờ trình", "Co-sign the proposal"),
    (
        "campaign.cosign_hint",
        "Phòng Văn hóa và Thông tin ký phối hợp với Phòng Nội vụ.",
        "Culture and Information co-signs with Home Affairs.",
    ),
    ("campaign.the_proposal", "tờ trình", "the proposal"),
    ("campaign.the_decision", "quyết định", "the decision"),
    ("campaign.ok.created", "Đã tạo phong trào thi đua.", "Campaign created."),
    ("campaign.ok.evaluated", "Đã chấm điểm từ số liệu báo cáo.", "Evaluated from the reports."),
    (
        "campaign.ok.proposed",
        "Đã lập tờ trình; chờ Phòng Văn hóa và Thông tin ký phối hợp.",
        "Proposal made; awaiting the co-signature.",
    ),
    ("campaign.ok.cosigned", "Đã ký phối hợp; chờ lãnh đạo quyết định.", "Co-signed; awaiting the decision."),
    (
        "campaign.ok.decided",
        "Đã ban hành quyết định; khen thưởng đã ghi vào hồ sơ các tổ.",
        "Decided; the awards are on the teams' records.",
    ),
    ("team.awards", "Khen thưởng", "Awards"),
    ("nomination.title", "Giới thiệu đoàn viên thanh niên", "Youth Union nominations"),
    ("nomination.none", "Chưa có người nào được giới thiệu.", "No nominations yet."),
    ("nomination.new", "Giới thiệu người tham gia tổ", "Nominate someone"),
    ("nomination.submit", "Gửi giới thiệu", "Send the nomination"),
    ("nomination.person", "Người được giới thiệu", "Nominee"),
    ("nomination.to", "Giới thiệu về", "Nominated to"),
    ("nomination.outcome", "Kết quả", "Outcome"),
    ("nomination.nominated_on", "Giới thiệu ngày", "Nominated on"),
    ("nomination.answered_in", "Trả lời sau", "Answered in"),
    ("nomination.days", "ngày", "days"),
    ("nomination.accept", "Tiếp nhận vào tổ", "Accept into the team"),
    ("nomination.decline", "Không tiếp nhận", "Decline"),
    ("nomination.status.pending", "Chờ xã trả lời", "Awaiting the commune"),
    ("nomination.status.accepted", "Đã tiếp nhận", "Accepted"),
    ("nomination.status.declined", "Không tiếp nhận", "Declined"),
    ("nomination.field.full_name", "Họ và tên", "Full name"),
    ("nomination.field.gender", "Giới tính", "Gender"),
    ("nomination.field.birth_year", "Năm sinh", "Year of birth"),
    ("nomination.field.phone", "Số điện thoại", "Phone"),
    ("nomination.field.email", "Thư điện tử", "Email"),
    ("nomination.field.skills", "Kỹ năng", "Skills"),
    ("nomination.field.note", "Ghi chú", "Note"),
    ("nomination.field.team_id", "Tổ tiếp nhận", "Team"),
    ("nomination.field.reason", "Lý do không tiếp nhận", "Why not"),
    ("nomination.field.unit", "Giới thiệu về", "Nominated to"),
    ("nomination.ok.made", "Đã gửi giới thiệu; chờ xã trả lời.", "Nomination sent; awaiting the commune."),
    (
        "nomination.ok.accepted",
        "Đã tiếp nhận: người được giới thiệu là thành viên của tổ.",
        "Accepted: the nominee is a member of the team.",
    ),
    ("nomination.ok.declined", "Đã trả lời không tiếp nhận.", "Declined."),
    ("guidance.title", "Tài liệu hướng dẫn", "Guidance documents"),
    ("guidance.for_you", "Tài liệu hướng dẫn", "Guidance for you"),
    ("guidance.none", "Chưa có tài liệu nào.", "No documents yet."),
    ("guidance.new", "Đăng tài liệu hướng dẫn", "Publish a document"),
    ("guidance.publish", "Đăng tài liệu", "Publish"),
    ("guidance.link", "liên kết", "link"),
    ("guidance.from", "từ", "from"),
    ("guidance.not_in_effect", "Không còn (hoặc chưa) hiển thị", "Not shown now"),
    (
        "guidance.file_hint",
        "PDF, Word (DOCX), Excel (XLSX), ảnh PNG hoặc JPEG; tối đa 5 MB. Hoặc nhập một liên kết https.",
        "PDF, Word, Excel, PNG or JPEG; at most 5 MB. Or give an https link.",
    ),
    (
        "guidance.audience_hint",
        "Không chọn cấp hoặc vai trò nào thì mọi người trong phạm vi đều thấy.",
        "Choose no level or role and everyone in scope sees it.",
    ),
    ("guidance.too_large", "tệp lớn hơn 5 MB", "the file is larger than 5 MB"),
    ("guidance.field.title", "Tiêu đề", "Title"),
    ("guidance.field.file", "Tệp", "File"),
    ("guidance.field.file_name", "Tên tệp", "File name"),
    ("guidance.field.link", "Hoặc liên kết", "Or a link"),
    ("guidance.field.levels", "Cấp đơn vị được xem", "Levels who see it"),
    ("guidance.field.roles", "Vai trò được xem", "Roles who see it"),
    ("guidance.field.valid_from", "Hiển thị từ ngày", "Shown from"),
    ("guidance.field.valid_until", "Đến ngày", "Until"),
    ("guidance.ok.published", "Đã đăng tài liệu.", "Published."),
    ("group.title", "Tổ quản lý", "Management group"),
    ("group.focal_points", "Đầu mối", "Focal points"),
    ("group.no_focal", "Chưa có đầu mối.", "No focal point yet."),
    ("group.members", "Thành viên tổ quản lý", "Members of the group"),
    ("group.none", "Chưa có ai.", "Nobody yet."),
    ("group.new", "Thêm thành viên", "Add someone"),
    ("group.add", "Thêm", "Add"),
    ("group.focal", "Đầu mối", "Focal point"),
    ("group.former", "Đã thôi", "Former"),
    ("group.upcoming", "Sắp tham gia", "Joining"),
    ("group.focal_from", "Đầu mối từ ngày tham gia", "Focal point from that day"),
    ("group.dates", "Thời gian", "Dates"),
    ("group.contact", "Liên hệ", "Contact"),
    ("group.end", "Thôi tham gia", "End"),
    ("group.last_day", "Ngày cuối cùng tham gia", "Last day in the group"),
    ("group.end_confirm", "Ghi ngày thôi tham gia", "Record the last day"),
    ("group.ended_already", "Đã ghi ngày cuối cùng tham gia:", "The last day is recorded already:"),
    (
        "group.end_focal",
        "Người này đang là đầu mối của đơn vị; sau ngày này đơn vị chưa có đầu mối cho đến khi cử người khác.",
        "This person is the unit's focal point; after this day the unit has none until someone else is named.",
    ),
    ("group.field.full_name", "Họ và tên", "Full name"),
    ("group.field.title", "Chức vụ trong tổ", "Position in the group"),
    ("group.field.office", "Cơ quan", "Office"),
    ("group.field.phone", "Số điện thoại", "Phone"),
    ("group.field.email", "Thư điện tử", "Email"),
    ("group.field.focal_point", "Là đầu mối của đơn vị", "The unit's focal point"),
    ("group.field.from_date", "Từ ngày", "From"),
    ("group.field.until_date", "Đến ngày", "Until"),
    ("group.ok.added", "Đã thêm vào tổ quản lý.", "Added to the group."),
    ("group.ok.ended", "Đã ghi ngày thôi tham gia.", "Recorded the last day."),
    ("public.title", "Kết quả Tổ công nghệ số cộng đồng", "Community Digital Technology Teams: results"),
    ("public.teams", "Các tổ", "Teams"),
    ("public.teams_active", "tổ đang hoạt động", "active teams"),
    ("public.members", "thành viên", "members"),
    ("public.villages", "thôn, tổ dân phố có tổ", "villages with a team"),
    ("public.from_accepted", "Tổng hợp từ báo cáo đã được tiếp nhận của", "From the accepted reports of"),
    ("public.awards", "Tập thể, cá nhân được khen thưởng", "Awards"),
    ("public.no_awards", "Chưa có quyết định khen thưởng.", "No awards decided yet."),
    ("public.below", "Các đơn vị trực thuộc", "Units below"),
    ("skip_to_content", "Bỏ qua, đến nội dung chính", "Skip to main content"),
    ("nav", "Điều hướng chính", "Main navigation"),
    ("nav.home", "Trang chủ", "Home"),
    ("nav.units", "Đơn vị", "Units"),
    ("nav.dashboard", "Số liệu", "Dashboard"),
    ("nav.teams", "Các tổ", "Teams"),
    ("teams.title", "Các tổ công nghệ số", "Digital technology teams"),
    ("teams.search", "Tìm theo tên tổ, xã, thôn", "Search by team, commune or village"),
    ("teams.team", "Tổ", "Team"),
    ("teams.pages", "Trang", "Pages"),
    ("teams.previous", "Trang trước", "Previous"),
    ("teams.next", "Trang sau", "Next"),
    ("teams.none", "Không có tổ nào.", "No teams."),
    ("reports.title", "Lập báo cáo định kỳ", "Periodic reports"),
    (
        "reports.none",
        "Bạn chưa có mẫu báo cáo nào để lập. Mẫu báo cáo do Sở áp dụng cho đơn vị.",
        "You have no report to make yet; the province enables report templates for units.",
    ),
    ("commend.figure", "Số liệu", "Figure"),
    (
        "commend.refused",
        "Tiêu chí thi đua không nhận các số liệu này:",
        "The criteria do not accept these figures:",
    ),
    ("dashboard.sort", "Sắp xếp", "Sort"),
    ("dashboard.sort_value", "Theo số liệu, lớn trước", "By value, largest first"),
    ("dashboard.sort_name", "Theo tên đơn vị", "By unit name"),
    ("dashboard.bar", "Biểu đồ", "Bar"),
    ("dashboard.value", "Số liệu", "Value"),
    ("dashboard.mark_max", "cao nhất", "highest"),
    ("dashboard.mark_min", "thấp nhất", "lowest"),
    ("unit.all_teams", "Xem tất cả các tổ", "See every team"),
    ("error.not_a_page", "Trang này chỉ mở từ biểu mẫu", "This address answers a form"),
    (
        "error.not_a_page_text",
        "Địa chỉ này nhận thông tin gửi từ một biểu mẫu, không mở trực tiếp được. Hãy quay lại trang trước.",
        "This address takes what a form sends and cannot be opened directly. Please go back to the previous page.",
    ),
    (
        "error.unreadable_form",
        "Không đọc được thông tin gửi lên. Hãy mở lại trang và nhập lại.",
        "What was sent could not be read. Please open the page again and fill it in.",
    ),
    (
        "report.not_enabled_on",
        "mẫu báo cáo này chưa được áp dụng cho đơn vị vào ngày {date}",
        "this template was not enabled for the unit on {date}",
    ),
    (
        "plugins.already_removed",
        "Quy tắc này không còn (có thể đã được gỡ trước đó).",
        "That binding is no longer there (it may have been removed already).",
    ),
    (
        "plugins.wrong_kind",
        "quy tắc này không dùng được cho loại đã chọn",
        "this rule does not offer the chosen kind",
    ),
    (
        "plugins.impact_later",
        "Tác động sẽ được tính khi các tham số hợp lệ.",
        "The impact is computed once the parameters are valid.",
    ),
    (
        "plugins.type_team",
        "Gõ tên tổ, hoặc tên xã, thôn của tổ.",
        "Type the team's name, or its commune's or village's.",
    ),
    (
        "plugins.more_teams",
        "Chỉ hiện 20 tổ đầu; gõ tên cụ thể hơn để thu hẹp.",
        "Only the first 20 teams are shown; type more of the name to narrow it.",
    ),
    ("plugins.choose_rule", "Chọn một quy tắc để chạy thử.", "Choose a rule to try."),
    ("plugins.switched_off", "Tắt", "Off"),
    ("home.coverage_by_unit", "Xem độ phủ theo từng đơn vị", "See coverage by unit"),
    ("unit.code", "mã đơn vị", "unit code"),
    (
        "reports.not_yours",
        "Vai trò của bạn không lập báo cáo; báo cáo do UBND xã và Phòng Văn hóa và Thông tin lập.",
        "Your role does not make reports; communes and the Culture and Information office do.",
    ),
    (
        "plugins.replaces",
        "Đơn vị đã có quy tắc loại này áp dụng từ cùng ngày; xác nhận sẽ thay thế quy tắc đó",
        "The unit already has a rule of this kind from the same day; confirming replaces it",
    ),
    ("nav.reports", "Báo cáo", "Reports"),
    ("report.period_part", "Quý hoặc tháng", "Quarter or month"),
    ("report.year", "Năm", "Year"),
    ("report.quarters", "Quý", "Quarters"),
    ("report.months", "Tháng", "Months"),
    ("report.month", "Tháng", "Month"),
    ("report.quarter_Q1", "Quý I", "Quarter 1"),
    ("report.quarter_Q2", "Quý II", "Quarter 2"),
    ("report.quarter_Q3", "Quý III", "Quarter 3"),
    ("report.quarter_Q4", "Quý IV", "Quarter 4"),
    (
        "report.choose_period",
        "chọn quý hoặc tháng, và năm (từ 2019 đến kỳ hiện tại)",
        "choose a quarter or a month, and a year (from 2019 to the current period)",
    ),
    (
        "report.not_a_number",
        "'{typed}' không phải là số (ví dụ 1.234 hoặc 12,5)",
        "'{typed}' is not a number (e.g. 1,234 or 12.5)",
    ),
    (
        "form.report_invalid",
        "Chưa lập được báo cáo. Vui lòng kiểm tra:",
        "The report was not made. Please check:",
    ),
    (
        "report.refused",
        "Mẫu báo cáo không nhận các thông tin này:",
        "The report template does not accept this:",
    ),
    ("nav.plugins", "Quy tắc địa phương", "Local rules"),
    ("other_language", "English", "Tiếng Việt"),
    ("sign_in", "Đăng nhập", "Sign in"),
    ("sign_in.title", "Đăng nhập sohoa", "Sign in to sohoa"),
    (
        "sign_in.lead",
        "Quản lý Tổ công nghệ số cộng đồng của xã, thôn.",
        "Managing the Community Digital Technology Teams of communes and villages.",
    ),
    ("sign_in.failed", "Tên đăng nhập hoặc mật khẩu không đúng.", "Wrong username or password."),
    (
        "sign_in.limited",
        "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau ít phút.",
        "Too many failed attempts. Please try again in a few minutes.",
    ),
    (
        "sign_in.at_once",
        "Có nhiều lượt đăng nhập cùng lúc vào tài khoản này. Vui lòng thử lại sau một giây.",
        "Many sign-ins to this account at the same moment. Please try again in a second.",
    ),
    ("sign_out", "Đăng xuất", "Sign out"),
    ("signed_out", "Đã đăng xuất.", "Signed out."),
    ("username", "Tên đăng nhập", "Username"),
    ("password", "Mật khẩu", "Password"),
    ("back_home", "Về trang chủ", "Back to home"),
    ("search", "Tìm", "Search"),
    ("save", "Lưu", "Save"),
    ("cancel", "Hủy", "Cancel"),
    ("technical_detail", "Chi tiết kỹ thuật", "Technical detail"),
    ("choose", "— Chọn —", "— Choose —"),
    ("member.email", "Thư điện tử", "Email"),
    ("member.skills", "Kỹ năng", "Skills"),
    (
        "member.skills_hint",
        "không bắt buộc; cách nhau bằng dấu chấm phẩy, ví dụ: VNeID; Thương mại điện tử",
        "optional; separated by semicolons, e.g. VNeID; e-commerce",
    ),
    ("member.email_hint", "không bắt buộc", "optional"),
    ("member.left_reason", "Lý do rời tổ", "Why they left"),
    ("member.left_reason_hint", "ví dụ: chuyển công tác, xin thôi", "e.g. moved to another post, resigned"),
    ("member.leave", "Rời tổ", "Leaves the team"),
    ("member.leave_title", "Ghi nhận rời tổ", "Record leaving the team"),
    (
        "member.leave_lead",
        "Thành viên vẫn được lưu trong danh sách đã rời tổ, kèm ngày và lý do.",
        "The member stays on the list of former members, with the date and the reason.",
    ),
    ("member.leave_on", "Ngày rời tổ", "Leaves on"),
    ("member.leave_confirm", "Ghi nhận rời tổ", "Record leaving"),
    ("member.left", "Đã ghi nhận rời tổ.", "Leaving recorded."),
    (
        "member.already_left",
        "Thành viên này đã rời tổ; muốn sửa ngày hoặc lý do, hãy dùng trang sửa thông tin.",
        "This member has already left; correct the date or the reason on the edit page.",
    ),
    ("member.left_already_on", "Thành viên này đã rời tổ từ ngày", "This member left the team on"),
    ("member.correct_departure", "Sửa ngày hoặc lý do rời tổ", "Correct the date or the reason"),
    ("member.back_to_team", "Về trang của tổ", "Back to the team"),
    ("member.added_named", "Đã thêm {name} vào tổ.", "{name} was added to the team."),
    ("member.saved_named", "Đã lưu thông tin của {name}.", "{name}'s details were saved."),
    ("member.left_named", "Đã ghi nhận {name} rời tổ từ ngày {date}.", "{name} left the team on {date}."),
    ("member.former", "Thành viên đã rời tổ", "Former members"),
    ("member.show_former", "Xem thành viên đã rời tổ", "Show former members"),
    ("member.hide_former", "Ẩn thành viên đã rời tổ", "Hide former members"),
    ("member.no_former", "Chưa có thành viên nào rời tổ.", "No one has left the team."),
    ("member.left_vn", "Rời tổ ngày", "Left on"),
    ("member.left_correction", "Ngày rời tổ (sửa nếu ghi nhầm)", "Left on (correct if wrong)"),
    ("team.rule_from", "do {unit} áp dụng từ ngày {date}", "set by {unit} from {date}"),
    (
        "form.busy",
        "Chưa lưu: hệ thống đang bận. Thông tin bạn nhập vẫn còn, vui lòng bấm lại sau ít giây.",
        "Not saved: the system is busy. What you typed is still here; please try again in a few seconds.",
    ),
    ("form.not_saved", "Chưa lưu được:", "Not saved:"),
    ("edit", "Sửa", "Edit"),
    ("actions", "Thao tác", "Actions"),
    ("version", "phiên bản", "version"),
    ("version_col", "Phiên bản", "Version"),
    ("unit", "Đơn vị", "Unit"),
    ("teams", "Số tổ", "Teams"),
    ("members", "Thành viên", "Members"),
    ("home.firsts", "Việc thường làm", "First actions"),
    ("home.see_list", "Xem danh sách", "See the list"),
    ("home.campaign", "Phong trào thi đua", "Emulation campaign"),
    ("home.campaign_score", "Chấm điểm các tổ", "Score the teams"),
    ("home.campaign_criteria", "tiêu chí", "criteria"),
    ("home.first.commune_teams", "Các tổ của xã", "My commune's teams"),
    ("home.first.commune_page", "Trang của xã", "My commune"),
    ("home.first.my_team", "Tổ của tôi", "My team"),
    ("home.first.reports", "Lập báo cáo", "Make a report"),
    ("home.first.fix_teams", "Tổ cần bổ sung", "Teams to fix"),
    ("home.first.dashboard", "Xem số liệu", "See the figures"),
    ("home.first.campaign", "Chấm điểm thi đua", "Score the campaign"),
    ("home.first.teams", "Xem các tổ", "See the teams"),
    ("home.first.rules", "Quy tắc địa phương", "Local rules"),
    ("home.greeting", "Xin chào", "Hello"),
    ("home.failing", "Tổ chưa đạt yêu cầu thành phần", "Teams failing their composition check"),
    ("home.leaderless", "Tổ chưa có tổ trưởng", "Teams without a leader"),
    ("home.uncovered", "Xã, thôn chưa có tổ", "Communes and villages without a team"),
    ("home.teams_in_scope", "Tổ trong phạm vi của bạn", "Teams in your scope"),
    ("home.errors", "lỗi", "errors"),
    ("home.error_one", "lỗi", "error"),
    ("home.none_failing", "Mọi tổ đều đạt yêu cầu thành phần.", "Every team passes its composition check."),
    ("home.none_leaderless", "Tổ nào cũng có tổ trưởng.", "Every team has a leader."),
    ("home.none_uncovered", "Xã, thôn nào cũng đã có tổ.", "Every commune and village has a team."),
    ("home.and_more", "Còn nữa:", "And more:"),
    ("home.all_failing", "Xem mọi tổ chưa đạt", "See every failing team"),
    (
        "home.refreshing",
        "Đang cập nhật kết quả kiểm tra của {n} tổ sau thay đổi gần đây; số liệu dưới đây có thể chưa mới nhất.",
        "Refreshing the checks of {n} teams after recent changes; the figures below may be out of date.",
    ),
    (
        "home.figures_refreshing",
        "Số liệu đang được tính lại sau các thay đổi gần đây; dưới đây là số liệu của lần tính trước. Tải lại trang sau ít giây để xem số mới.",
        "The figures are being computed again after recent changes; below are the previous ones. Reload in a few seconds for the new ones.",
    ),
    ("teams.failing_only", "Chỉ tổ chưa đạt", "Failing teams only"),
    ("teams.active_only", "Chỉ tổ đang hoạt động", "Active teams only"),
    ("home.check_failed", "Không chạy được quy tắc kiểm tra", "The check could not run"),
    ("units.title", "Đơn vị hành chính", "Administrative units"),
    ("units.search", "Tìm theo tên", "Search by name"),
    (
        "units.search_hint",
        "gõ không dấu cũng được, ví dụ \"tay son\"",
        "diacritics optional, e.g. \"tay son\"",
    ),
    ("units.results", "Kết quả", "Results"),
    ("units.no_results", "Không tìm thấy đơn vị nào.", "No unit found."),
    ("units.your_units", "Đơn vị của bạn", "Your units"),
    ("units.path", "Đường dẫn đơn vị", "Unit path"),
    ("unit.see_dashboard", "Xem số liệu và biểu đồ", "See figures and charts"),
    (
        "unit.teams_here",
        "Các tổ của đơn vị và các đơn vị trực thuộc",
        "Teams of this unit and the units below",
    ),
    ("unit.children", "Đơn vị trực thuộc", "Units below"),
    ("unit.closed_since", "Đơn vị này không còn từ ngày", "This unit no longer exists since"),
    ("unit.succeeded_by", "đơn vị kế thừa", "succeeded by"),
    ("unit.villages_covered", "Thôn có tổ", "Villages with a team"),
    ("report.title", "Lập báo cáo", "Make a report"),
    ("report.period", "Kỳ báo cáo", "Period"),
    ("report.issued_on", "Ngày ban hành", "Date of issue"),
    ("report.format", "Định dạng", "Format"),
    ("report.make", "Lập báo cáo", "Make the report"),
    (
        "report.note",
        "Số tổ và số thành viên do hệ thống tự đếm vào ngày ban hành; nhập các chỉ tiêu khác theo số liệu các đơn vị báo cáo, ô để trống hiện là \"-\".",
        "Teams and members are counted by the system on the date of issue; enter the other figures as the units reported them (empty cells print as \"-\").",
    ),
    ("report.figures", "Số liệu các đơn vị báo cáo", "Figures reported by the units"),
    ("indicator.thanh_vien_tap_huan", "Thành viên được tập huấn", "Members trained"),
    ("indicator.ho_duoc_huong_dan", "Hộ gia đình được hướng dẫn", "Households guided"),
    ("indicator.tk_vneid", "Tài khoản VNeID kích hoạt", "VNeID accounts activated"),
    ("indicator.tk_dvc", "Tài khoản Cổng DVC quốc gia", "Public service portal accounts"),
    ("indicator.ho_so_dvc_truc_tuyen", "Hồ sơ DVC trực tuyến", "Online applications"),
    ("indicator.tk_thanh_toan", "Tài khoản thanh toán điện tử", "E-payment accounts"),
    ("indicator.tk_tmdt", "Tài khoản/gian hàng TMĐT", "E-commerce accounts"),
    ("indicator.luot_tuyen_truyen", "Lượt tuyên truyền", "Outreach sessions"),
    ("indicator.ho_gia_dinh", "Số hộ gia đình", "Households"),
    ("indicator.bao_cao_dung_han", "Báo cáo đúng hạn", "Reports on time"),
    ("indicator.bao_cao_phai_nop", "Báo cáo phải nộp", "Reports due"),
    ("commend.title", "Xét thi đua, khen thưởng", "Emulation and commendation"),
    ("commend.criteria", "Tiêu chí áp dụng", "Criteria"),
    (
        "commend.note",
        "Nhập kết quả của từng tổ trong đợt; hệ thống chấm điểm theo tiêu chí và đề xuất hình thức khen thưởng kèm lý do. Chưa lưu đề nghị khen thưởng.",
        "Enter each team's results for the campaign; the criteria score them and recommend awards with reasons. Nothing is proposed or stored yet.",
    ),
    ("commend.results", "Kết quả xét", "Results"),
    ("commend.points", "điểm", "points"),
    ("commend.no_award", "Không đề xuất", "Not recommended"),
    ("commend.reasons", "Lý do", "Reasons"),
    ("commend.period", "Đợt thi đua", "Campaign period"),
    ("commend.figures", "Kết quả của các tổ", "The teams' results"),
    ("commend.team", "Tổ", "Team"),
    ("commend.assess", "Chấm điểm và đề xuất", "Score and recommend"),
    ("commend.link", "Xét thi đua, khen thưởng các tổ", "Assess the teams for commendation"),
    ("team.decision", "Quyết định", "Decision"),
    ("team.check", "Kiểm tra thành phần", "Composition check"),
    (
        "team.no_rule",
        "Chưa có quy tắc thành phần nào áp dụng cho đơn vị này.",
        "No composition rule applies to this unit.",
    ),
    (
        "team.dissolved_unjudged",
        "Tổ đã giải thể: thành phần tổ không còn được kiểm tra.",
        "The team is dissolved: its composition is no longer checked.",
    ),
    ("team.rule", "Quy tắc áp dụng", "Rule applied"),
    ("team.bound_at", "gắn tại đơn vị", "bound at unit"),
    ("team.passes", "Đạt yêu cầu", "Passes"),
    ("member.name", "Họ và tên", "Full name"),
    ("member.full_name", "Họ và tên", "Full name"),
    ("member.gender", "Giới tính", "Gender"),
    ("member.birth_year", "Năm sinh", "Year of birth"),
    ("member.phone", "Số điện thoại", "Phone"),
    ("member.phone_hint", "không bắt buộc, ví dụ 0912345678", "optional, e.g. 0912345678"),
    ("member.position", "Chức danh trong tổ", "Position"),
    ("member.affiliation", "Đơn vị công tác, đoàn thể", "Affiliation"),
    ("member.joined_on", "Ngày tham gia", "Joined on"),
    ("member.left_on", "Ngày rời tổ", "Left on"),
    ("member.left_on_hint", "để trống nếu vẫn còn trong tổ", "leave empty while still serving"),
    ("member.add", "Thêm thành viên", "Add a member"),
    ("member.added", "Đã thêm thành viên.", "Member added."),
    ("member.edit", "Sửa thông tin thành viên", "Edit member"),
    ("member.saved", "Đã lưu thay đổi.", "Changes saved."),
    ("member.override", "Lý do vẫn lưu", "Reason to save anyway"),
    (
        "member.override_hint",
        "thay đổi này làm tổ không đạt quy tắc; ghi lý do để vẫn lưu (được ghi vào nhật ký)",
        "this change breaks the team's rule; give a reason to save anyway (it is audited)",
    ),
    ("form.invalid", "Chưa lưu được. Vui lòng kiểm tra:", "Not saved. Please check:"),
    (
        "form.breaks_rule",
        "Chưa lưu: thay đổi này làm tổ không đạt quy tắc thành phần.",
        "Not saved: this change breaks the team's composition rule.",
    ),
    (
        "form.rule_failed",
        "Chưa lưu: quy tắc thành phần tổ đang bị lỗi nên chưa kiểm tra được thay đổi này. Có thể ghi lý do để vẫn lưu (được ghi vào nhật ký).",
        "Not saved: the composition rule (a plugin) failed and could not judge this change. Give a reason to save anyway (it is audited).",
    ),
    ("plugins.title", "Quy tắc của địa phương", "Local rules"),
    ("yes", "Có", "Yes"),
    ("no", "Không", "No"),
    ("plugins.unit", "Đơn vị", "Unit"),
    ("plugins.unit_hint", "gõ tên, ví dụ Huyện Tây Sơn", "type its name, e.g. Huyện Tây Sơn"),
    ("plugins.rule", "Quy tắc", "Rule"),
    ("plugins.next", "Tiếp tục: xem tác động", "Next: see the impact"),
    (
        "plugins.bind_lead",
        "Chưa có gì thay đổi cho đến khi bạn xem tác động và xác nhận.",
        "Nothing changes until you have seen the impact and confirmed.",
    ),
    (
        "plugins.not_bound",
        "Chưa áp dụng được quy tắc. Vui lòng kiểm tra:",
        "The rule was not bound. Please check:",
    ),
    (
        "plugins.unit_not_found",
        "không tìm thấy đơn vị '{typed}' trong phạm vi của bạn",
        "no unit '{typed}' in your scope",
    ),
    (
        "plugins.unit_not_yours",
        "bạn không có quyền chọn quy tắc cho {unit}",
        "you may not choose rules for {unit}",
    ),
    (
        "plugins.unit_ambiguous",
        "có nhiều đơn vị khớp với '{typed}': {names}; gõ đủ tên (ví dụ Huyện Tây Sơn) hoặc mã",
        "several units match '{typed}': {names}; type the full name (e.g. Huyện Tây Sơn) or the code",
    ),
    ("plugins.not_installed", "chưa được cài", "is not installed"),
    ("plugins.not_installed_upload", "Chưa cài được plugin:", "The plugin was not installed:"),
    ("plugins.param_type.integer", "không phải số nguyên", "is not a whole number"),
    ("plugins.param_type.number", "không phải số (ví dụ 0,5)", "is not a number (e.g. 0.5)"),
    ("plugins.param_type.flag", "chọn Có hoặc Không", "choose Yes or No"),
    ("plugins.param_type.text", "không hợp lệ", "is not valid"),
    ("plugins.switch_off.composition", "Tắt quy tắc thành phần tổ", "Switch the composition rule off"),
    ("plugins.switch_off.commendation", "Tắt tiêu chí thi đua", "Switch the commendation criteria off"),
    ("plugins.switch_off.report", "Tắt mẫu báo cáo", "Switch the report template off"),
    ("plugins.switch_off_template", "Tắt mẫu báo cáo", "Switch off the report template"),
    ("plugins.defaults", "mặc định", "defaults"),
    ("plugins.remove", "Gỡ", "Remove"),
    ("plugins.remove_confirm", "Xác nhận gỡ", "Remove it"),
    ("plugins.unbind_title", "Gỡ quy tắc đã áp dụng", "Remove a binding"),
    ("plugins.removed_rule", "Quy tắc sẽ gỡ", "Rule removed"),
    ("plugins.after_removal", "Sau khi gỡ, áp dụng", "Applies after removal"),
    (
        "plugins.unbound",
        "Đã gỡ quy tắc; đơn vị theo quy tắc trước đó hoặc của cấp trên.",
        "Binding removed; the unit follows the earlier rule or the one above.",
    ),
    ("plugins.none", "chưa có quy tắc", "no rule"),
    ("plugins.confirm_title", "Xem tác động trước khi áp dụng", "See the impact before binding"),
    ("plugins.confirm", "Xác nhận áp dụng", "Bind it"),
    ("plugins.recompute", "Tính lại với tham số mới", "Recompute with these parameters"),
    ("plugins.impact", "Tác động", "Impact"),
    ("plugins.current", "Đang áp dụng", "In force now"),
    ("plugins.teams", "tổ", "teams"),
    ("plugins.failing", "chưa đạt", "failing"),
    ("plugins.passes", "đạt", "passes"),
    ("plugins.fails", "chưa đạt", "fails"),
    (
        "plugins.impact_note",
        "Tính trên các tổ đang hoạt động hôm nay, với quy tắc đang áp dụng và quy tắc mới.",
        "Computed on today's active teams, with the rule in force and the new one.",
    ),
    ("plugins.team", "Tổ", "Team"),
    ("plugins.team_hint", "gõ tên tổ hoặc tên xã, thôn", "type the team's or its unit's name"),
    (
        "plugins.team_not_found",
        "Không tìm thấy tổ '{typed}' trong phạm vi của bạn.",
        "No team '{typed}' in your scope.",
    ),
    (
        "plugins.team_choose",
        "Có nhiều tổ khớp; chọn một tổ để chạy thử:",
        "Several teams match; choose one to try:",
    ),
    ("plugins.installed", "Các plugin đã cài", "Installed plugins"),
    ("plugins.plugin", "Plugin", "Plugin"),
    (
        "plugins.choose_version",
        "chọn một phiên bản, hoặc tắt quy tắc",
        "choose a version, or switch the rule off",
    ),
    ("plugins.pre_release", "bản thử nghiệm", "pre-release"),
    ("plugins.interface", "giao diện plugin", "plugin interface"),
    ("plugins.kinds", "Loại quy tắc", "Kinds of rule"),
    ("plugins.kind", "Loại quy tắc", "Kind of rule"),
    ("plugins.installed_at", "Ngày cài", "Installed"),
    ("plugins.bindings", "Áp dụng theo đơn vị", "Bindings per unit"),
    ("plugins.from", "Áp dụng từ ngày", "Effective from"),
    ("plugins.params", "Tham số", "Parameters"),
    ("plugins.off", "tắt", "off"),
    ("plugins.bind", "Áp dụng cho đơn vị", "Bind to a unit"),
    ("plugins.bound", "Đã áp dụng quy tắc cho đơn vị.", "The rule is bound to the unit."),
    ("plugins.preview", "Thử trên một tổ", "Try it on a team"),
    ("plugins.try", "Chạy thử", "Try"),
    ("plugins.upload", "Tải lên plugin mới", "Upload a plugin"),
    ("plugins.uploaded", "Đã cài plugin", "Installed plugin"),
    ("plugins.file", "Tệp plugin (.wasm)", "Plugin file (.wasm)"),
    ("plugins.file_hint", "tạo bằng lệnh sohoa plugin build", "made with sohoa plugin build"),
    ("dashboard.title", "Số liệu", "Dashboard"),
    ("dashboard.unit", "Đơn vị", "Unit"),
    ("dashboard.show", "Xem", "Show"),
    ("dashboard.village_coverage", "Thôn có tổ", "Villages with a team"),
    ("dashboard.failing", "Tổ chưa đạt yêu cầu", "Teams failing their check"),
    (
        "dashboard.chart_coverage",
        "Tỷ lệ thôn có Tổ công nghệ số cộng đồng (%)",
        "Share of villages with a team (%)",
    ),
    ("dashboard.chart_members", "Số thành viên bình quân mỗi tổ", "Members per team"),
    ("dashboard.chart_failing", "Số tổ chưa đạt yêu cầu thành phần", "Teams failing their composition check"),
    ("error.not_found", "Không tìm thấy", "Not found"),
    (
        "error.not_found_text",
        "Trang hoặc dữ liệu này không có, hoặc bạn không có quyền xem.",
        "This page or record does not exist, or you may not see it.",
    ),
    ("error.forbidden", "Không có quyền", "Not allowed"),
    ("error.forbidden_text", "Vai trò của bạn không cho phép thao tác này.", "Your roles do not allow this."),
    ("error.csrf", "Biểu mẫu đã hết hạn", "The form has expired"),
    ("error.csrf_text", "Vui lòng tải lại trang và gửi lại.", "Please reload the page and send it again."),
    ("error.internal", "Có lỗi xảy ra", "Something went wrong"),
    (
        "error.internal_text",
        "Hệ thống gặp lỗi; nhật ký máy chủ có chi tiết. Vui lòng thử lại.",
        "The system failed; the server log has details. Please try again.",
    ),
    ("error.bad_input", "Dữ liệu không hợp lệ", "Invalid input"),
    ("level.province", "Tỉnh", "Province"),
    ("level.district", "Huyện", "District"),
    ("level.commune", "Xã", "Commune"),
    ("level.village", "Thôn", "Village"),
    ("kind.composition", "Thành phần tổ", "Team composition"),
    ("kind.report", "Mẫu báo cáo", "Report template"),
    ("kind.commendation", "Thi đua, khen thưởng", "Commendation"),
    ("severity.error", "Lỗi", "Error"),
    ("severity.warning", "Lưu ý", "Warning"),
    ("severity.info", "Thông tin", "Note"),
    ("position.leader", "", "Leader"),
    ("position.deputy", "", "Deputy"),
    ("position.member", "", "Member"),
    ("gender.male", "", "Male"),
    ("gender.female", "", "Female"),
    ("gender.other", "", "Other"),
    ("status.active", "", "Active"),
    ("status.suspended", "", "Suspended"),
    ("status.dissolved", "", "Dissolved"),
    ("affiliation.commune_leadership", "", "Commune leadership"),
    ("affiliation.commune_police", "", "Commune police"),
    ("affiliation.cultural_social_officer", "", "Cultural-social officer"),
    ("affiliation.youth_union", "", "Youth Union"),
    ("affiliation.womens_union", "", "Women's Union"),
    ("affiliation.farmers_union", "", "Farmers' Union"),
    ("affiliation.veterans_association", "", "Veterans' Association"),
    ("affiliation.fatherland_front", "", "Fatherland Front"),
    ("affiliation.village_head", "", "Village head"),
    ("affiliation.telecom_postal", "", "Telecom or postal enterprise"),
    ("affiliation.teacher", "", "Teacher"),
    ("affiliation.volunteer", "", "Volunteer"),
    ("affiliation.other", "", "Other"),
    ("reporting.title", "Báo cáo định kỳ", "Periodic reports"),
    ("reporting.ad_hoc", "Lập báo cáo từ số liệu nhập trực tiếp", "Reports from figures typed in"),
    ("reporting.period", "Kỳ báo cáo", "Period"),
    ("reporting.compile_work", "tổng hợp", "to compile"),
    ("reporting.report_of", "báo cáo", "report for"),
    ("reporting.deadline", "Hạn nộp", "Deadline"),
    ("reporting.open_until", "mở lại đến hết ngày", "open again until"),
    ("reporting.returned_because", "Bị trả lại:", "Returned:"),
    (
        "reporting.confirm_legend",
        "Số liệu có điểm bất thường. Đánh dấu từng mục đã kiểm tra là đúng, rồi bấm Gửi báo cáo.",
        "Some figures look unusual. Tick each one you have checked and found right, then press Submit.",
    ),
    ("reporting.indicator", "Chỉ tiêu", "Indicator"),
    ("reporting.figure", "Số liệu", "Figure"),
    ("reporting.previous", "Kỳ trước", "Previous period"),
    ("reporting.required", "bắt buộc", "required"),
    (
        "reporting.number_hint",
        "Nhập số theo cách viết Việt Nam: 1.234 (nghìn), 12,5 (thập phân). Để trống nếu không có số liệu.",
        "Write numbers the Vietnamese way: 1.234 (thousands), 12,5 (decimals). Leave empty when there is no figure.",
    ),
    ("reporting.submit", "Gửi báo cáo", "Submit"),
    ("reporting.save", "Lưu nháp", "Save draft"),
    ("reporting.confirmed", "Cảnh báo đã được xác nhận khi gửi", "Warnings confirmed when submitting"),
    ("reporting.review", "Tiếp nhận số liệu", "Review"),
    ("reporting.accept", "Tiếp nhận", "Accept"),
    ("reporting.return_reason", "Lý do trả lại", "Why it is returned"),
    ("reporting.return", "Trả lại", "Return"),
    ("reporting.unlock", "Mở lại biểu mẫu cho đơn vị", "Open the form again for the unit"),
    ("reporting.unlock_reason", "Lý do mở lại", "Why it is opened again"),
    ("reporting.history", "Quá trình xử lý", "History"),
    ("reporting.completeness", "Tình hình gửi báo cáo", "Completeness"),
    ("reporting.received", "đơn vị đã gửi", "units reported"),
    ("reporting.on_time", "đúng hạn", "on time"),
    ("reporting.late", "trễ hạn", "late"),
    ("reporting.returned_count", "bị trả lại", "returned"),
    ("reporting.missing", "chưa gửi", "not reported"),
    (
        "reporting.timeliness_chart",
        "Tỷ lệ gửi đúng hạn và trễ hạn qua các kỳ",
        "On-time and late reports over periods",
    ),
    ("reporting.state", "Tình trạng", "Status"),
    ("reporting.submitted_at", "Gửi lúc", "Submitted"),
    ("reporting.contact", "Người liên hệ", "Contact"),
    ("reporting.the_report", "Báo cáo tổng hợp", "The compiled report"),
    ("reporting.compiled_on", "Tổng hợp ngày", "Compiled on"),
    ("reporting.approved_on", "phê duyệt ngày", "approved on"),
    ("reporting.sent_on", "gửi ngày", "sent on"),
    ("reporting.total", "Tổng cộng", "Total"),
    ("reporting.download", "Tải về", "Download"),
    ("reporting.not_compiled_yet", "Chưa tổng hợp báo cáo kỳ này.", "Not compiled yet for this period."),
    ("reporting.compile", "Tổng hợp báo cáo", "Compile the report"),
    ("reporting.compile_again", "Tổng hợp lại", "Compile again"),
    ("reporting.compile_hint", "Chỉ dùng số liệu đã tiếp nhận.", "Uses accepted figures only."),
    ("reporting.approve", "Phê duyệt", "Approve"),
    ("reporting.send", "Gửi lên cấp trên", "Send to the level above"),
    ("reporting.step.save", "Lưu nháp", "Saved a draft"),
    ("reporting.step.submit", "Gửi báo cáo", "Submitted"),
    ("reporting.step.accept", "Tiếp nhận", "Accepted"),
    ("reporting.step.return", "Trả lại", "Returned"),
    ("reporting.step.unlock", "Mở lại biểu mẫu", "Opened again"),
    ("reporting.step.compile", "Tổng hợp", "Compiled"),
    ("reporting.step.approve", "Phê duyệt", "Approved"),
    ("reporting.step.send", "Gửi cấp trên", "Sent"),
    ("reporting.status.not_started", "Chưa nhập", "Not started"),
    ("reporting.status.draft", "Đang nhập (chưa gửi)", "Draft (not submitted)"),
    ("reporting.status.submitted", "Đã gửi, chờ tiếp nhận", "Submitted, awaiting review"),
    ("reporting.status.accepted", "Đã tiếp nhận", "Accepted"),
    ("reporting.status.returned", "Bị trả lại", "Returned"),
    ("reporting.report.not_compiled", "Chưa tổng hợp", "Not compiled"),
    ("reporting.report.compiled", "Đã tổng hợp, chờ phê duyệt", "Compiled, awaiting approval"),
    ("reporting.report.approved", "Đã phê duyệt, chưa gửi", "Approved, not sent"),
    ("reporting.report.sent", "Đã gửi cấp trên", "Sent"),
    ("reporting.report.returned", "Cấp trên trả lại", "Returned from above"),
    (
        "reporting.closed_accepted",
        "Số liệu đã được {reviewer} tiếp nhận; chỉ sửa được khi {reviewer} trả lại.",
        "{reviewer} has accepted these figures; they can be changed only after {reviewer} returns them.",
    ),
    (
        "reporting.closed_deadline",
        "Đã quá hạn nộp ({deadline}); biểu mẫu đã khóa. Phòng Văn hóa và Thông tin ({reviewer}) có thể mở lại cho đơn vị.",
        "The deadline ({deadline}) has passed and the form is locked. The Culture and Information office ({reviewer}) can open it again for this unit.",
    ),
    ("reporting.not_submitted", "Chưa gửi được: số liệu chưa đúng", "Not submitted: some figures are wrong"),
    ("reporting.confirm_needed", "Cần xác nhận trước khi gửi", "Confirm before submitting"),
    ("reporting.locked", "Biểu mẫu đã khóa", "The form is locked"),
    (
        "reporting.locked_text",
        "Biểu mẫu không còn nhận số liệu (quá hạn, hoặc số liệu đã được tiếp nhận). Xem dòng trạng thái ở trên.",
        "The form takes no more figures (past its deadline, or accepted). See the status above.",
    ),
    (
        "reporting.frozen_text",
        "Báo cáo tổng hợp của kỳ này đã được phê duyệt; cấp trên phải trả lại báo cáo trước khi sửa số liệu.",
        "The report compiled for this period has been approved; the level above must return it before the figures change.",
    ),
    (
        "reporting.changed_meanwhile",
        "Tình trạng báo cáo đã thay đổi (có thể do người khác vừa xử lý). Xem lại trang.",
        "The report's status changed (perhaps someone else just acted on it). Look at the page again.",
    ),
    ("reporting.field.reason", "Lý do", "Reason"),
    (
        "reporting.not_begun",
        "Kỳ báo cáo này chưa bắt đầu: nhập số liệu từ ngày {start}.",
        "This period has not begun: figures can be entered from {start}.",
    ),
    (
        "reporting.pending_review",
        "Còn số liệu chờ tiếp nhận: {units}. Tiếp nhận hoặc trả lại trước khi tổng hợp.",
        "Figures still wait for review: {units}. Accept or return them before compiling.",
    ),
    (
        "reporting.stale",
        "Số liệu của {units} đã thay đổi sau khi tổng hợp; tổng hợp lại trước khi phê duyệt.",
        "The figures of {units} changed since the report was compiled; compile it again before approving.",
    ),
    (
        "reporting.own_figures",
        "Người nhập số liệu không tự tiếp nhận số liệu của mình; một cán bộ khác của phòng tiếp nhận.",
        "Whoever entered the figures does not accept them; another officer of the office does.",
    ),
    ("reporting.field.open_until", "Mở đến ngày", "Open until"),
    ("reporting.saved", "Đã lưu nháp.", "Draft saved."),
    ("reporting.submitted", "Đã gửi báo cáo.", "Report submitted."),
    ("reporting.accepted", "Đã tiếp nhận số liệu.", "Figures accepted."),
    ("reporting.returned", "Đã trả lại cho đơn vị.", "Returned to the unit."),
    ("reporting.unlocked", "Đã mở lại biểu mẫu cho đơn vị.", "The form is open again for the unit."),
    ("reporting.compiled", "Đã tổng hợp báo cáo.", "Report compiled."),
    ("reporting.approved", "Đã phê duyệt báo cáo.", "Report approved."),
    ("reporting.sent", "Đã gửi báo cáo lên cấp trên.", "Report sent."),
    ("reporting.report_returned", "Đã trả lại báo cáo cho cấp dưới.", "Report returned."),
    ("role.province_admin", "", "Provincial administrator (DIC)"),
    ("role.district_culture", "", "District Culture and Information office"),
    ("role.district_home_affairs", "", "District Home Affairs office"),
    ("role.district_youth_union", "", "District Youth Union"),
    ("role.district_leader", "", "District People's Committee leadership"),
    ("role.commune_officer", "", "Commune officer"),
    ("role.team_leader", "", "Team leader"),
    ("role.viewer", "", "Viewer"),
];

/// The Vietnamese label the domain vocabulary already has, for `kind.value` keys.
fn vocabulary_vi(key: &str) -> Option<&'static str> {
    let (kind, value) = key.split_once('.')?;
    match kind {
        "position" => Position::parse(value).map(Vocab::label_vi),
        "affiliation" => Affiliation::parse(value).map(Vocab::label_vi),
        "gender" => Gender::parse(value).map(Vocab::label_vi),
        "status" => TeamStatus::parse(value).map(Vocab::label_vi),
        "role" => Role::parse(value).map(Role::label_vi),
        _ => None,
    }
}

/// The words for `key`; the key itself when it has none (the test below keeps that from
/// happening for any key a template uses).
pub fn t(lang: Lang, key: &str) -> String {
    let Some((_, vi, en)) = WORDS.iter().find(|(k, _, _)| *k == key) else {
        return key.to_string();
    };
    match lang {
        Lang::En => en.to_string(),
        Lang::Vi if vi.is_empty() => vocabulary_vi(key).unwrap_or(key).to_string(),
        Lang::Vi => vi.to_string(),
    }
}

/// A validation message of the services (written in English for the API's clients) in the
/// page's language. The services' messages are stable texts; the ones the forms can meet are
/// matched here by their fixed parts, and anything else is shown as it is.
pub fn problem(lang: Lang, message: &str) -> String {
    if lang == Lang::En {
        return message.to_string();
    }
    // Dates in the services' messages are ISO (2022-06-15); people read 15/06/2022.
    people_dates(&problem_vi(message))
}

/// Every `yyyy-mm-dd` in `text` written `dd/mm/yyyy`; stored words in parentheses after a
/// Vietnamese label ("Công an xã (commune_police)") dropped.
fn people_dates(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let date = rest
            .get(..10)
            .filter(|d| d.as_bytes()[4] == b'-' && d.as_bytes()[7] == b'-')
            .and_then(crate::dates::parse);
        if let (Some(d), true) = (date, !out.ends_with(|c: char| c.is_ascii_digit())) {
            out.push_str(&crate::dates::display(d));
            rest = &rest[10..];
        } else {
            let c = rest.chars().next().expect("not empty");
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    // " (commune_police)": a stored word after its label.
    let mut cleaned = String::with_capacity(out.len());
    let mut parts = out.split(" (").peekable();
    if let Some(first) = parts.next() {
        cleaned.push_str(first);
    }
    for part in parts {
        match part.split_once(')') {
            Some((word, after))
                if !word.is_empty() && word.chars().all(|c| c.is_ascii_lowercase() || c == '_') =>
            {
                cleaned.push_str(after);
            }
            _ => {
                cleaned.push_str(" (");
                cleaned.push_str(part);
            }
        }
    }
    cleaned
}

fn problem_vi(message: &str) -> String {
    // (English fixed part, how it ends or begins, Vietnamese): `{}` keeps the variable part.
    let after = |prefix: &str| message.strip_prefix(prefix).map(str::trim);
    let before = |suffix: &str| message.strip_suffix(suffix).map(str::trim);
    if message == "is required" {
        return "chưa nhập (bắt buộc)".into();
    }
    if let Some(rest) = after("is required (") {
        return format!("chưa chọn (bắt buộc: {}", rest);
    }
    if let Some(date) = before("is in the future") {
        return format!("{date} là ngày trong tương lai");
    }
    if message.contains("is not a valid date") {
        return format!(
            "{} không phải ngày hợp lệ (dd/mm/yyyy)",
            message.split(" is not").next().unwrap_or("")
        );
    }
    if let Some((_, rest)) = message.split_once(" reports by ") {
        // "binh-dinh-bao-cao-quy reports by quarter (e.g. 2022-Q3), not '2022-07'"
        let kind = match rest.split(' ').next().unwrap_or("") {
            "month" => "theo tháng (ví dụ 2022-07)",
            "quarter" => "theo quý (ví dụ 2022-Q3)",
            "half-year" => "theo 6 tháng (ví dụ 2022-H1)",
            _ => "theo năm (ví dụ 2022)",
        };
        return format!("mẫu báo cáo này lập {kind}, không lập cho kỳ đã chọn");
    }
    if message.contains("is not a period; write") {
        return "kỳ báo cáo không hợp lệ (ví dụ 2022-07, 2022-Q3, 2022-H1 hoặc 2022)".into();
    }
    if message.contains("is not a plausible year of birth") {
        let range = message.split('(').nth(1).unwrap_or(")").trim_end_matches(')');
        return format!("năm sinh không hợp lý (từ {range})");
    }
    if message.contains("is not a year") {
        return format!("{} không phải năm", message.split(" is not").next().unwrap_or(""));
    }
    if message.contains("is not a Vietnamese phone number") {
        return format!(
            "{} không phải số điện thoại Việt Nam (0xxxxxxxxx hoặc +84xxxxxxxxx)",
            message.split(" is not").next().unwrap_or("")
        );
    }
    if message.contains("is not an email address") {
        return format!("{} không phải địa chỉ email", message.split(" is not").next().unwrap_or(""));
    }
    if message == "name at least one team or member to assess" {
        return "chưa nhập kết quả của tổ nào".into();
    }
    if message == "cannot be before joined_on" {
        return "không được trước ngày tham gia".into();
    }
    if let Some(date) = after("is before the team was established (") {
        return format!("trước ngày thành lập tổ ({date}");
    }
    if let Some(n) = after("must be at most ").and_then(|r| r.strip_suffix(" characters")) {
        return format!("tối đa {n} ký tự");
    }
    if let Some((plugin, kind)) =
        message.split_once(" offers no ").and_then(|(p, k)| Some((p, k.strip_suffix(" rule")?)))
    {
        let kind = t(Lang::Vi, &format!("kind.{kind}"));
        return format!("{plugin} không có quy tắc loại {}", kind.to_lowercase());
    }
    if let Some(plugin) = before("is not installed") {
        return format!("{plugin} chưa được cài");
    }
    if let Some(rest) = after("this person already serves on team ")
        && let Some((_, rest)) = rest.split_once(" from ")
    {
        let joined = rest.split(" (").next().unwrap_or("");
        return format!("người này đã là thành viên của tổ từ ngày {joined}");
    }
    if let Some(rest) = after("the team was dissolved on ")
        && let Some((date, _)) = rest.split_once("; a dissolution is final")
    {
        return format!(
            "tổ đã giải thể ngày {date}; giải thể là chấm dứt hẳn: muốn hoạt động lại, thành lập tổ mới theo quyết định mới"
        );
    }
    if let Some(date) = after("is before a member left the team on ") {
        return format!("trước ngày có thành viên rời tổ ({date}): sửa ngày rời tổ của thành viên đó trước");
    }
    // A team name taken in the unit (teams::create, teams::update).
    if let Some(rest) = after("this unit already has a team named '") {
        let (name, rest) = rest.split_once('\'').unwrap_or((rest, ""));
        if let Some(date) = rest.split_once(", dissolved on ").and_then(|(_, r)| r.split(':').next()) {
            return format!(
                "đơn vị đã có tổ tên “{name}”, giải thể ngày {date}: đặt cho tổ mới một tên khác, hoặc đổi tên tổ cũ trước"
            );
        }
        return format!("đơn vị đã có tổ tên “{name}”: chọn tên khác");
    }
    if let Some(date) = after("is before a member joined the team on ") {
        return format!("trước ngày có thành viên tham gia tổ ({date})");
    }
    if let Some(date) = after("is after a member joined the team on ") {
        return format!("sau ngày có thành viên đầu tiên tham gia tổ ({date})");
    }
    // Adding someone to a dissolved team (the status change's own message is above): one who
    // served before its end, then one joining after it.
    if let Some(rest) = after("the team was dissolved on ")
        && let Some((date, _)) = rest.split_once(": give the day this member left")
    {
        return format!("tổ đã giải thể ngày {date}: nhập ngày thành viên rời tổ, không sau ngày đó");
    }
    if let Some(date) = after("the team was dissolved on ") {
        return format!("tổ đã giải thể ngày {date}: không thêm thành viên từ ngày đó");
    }
    if let Some(rest) = after("must be a day from ") {
        return format!("phải là một ngày từ {}", rest.replace(" to ", " đến "));
    }
    if let Some(team) = after("team ").and_then(|r| r.strip_suffix(" does not exist")) {
        return format!("không có tổ số {team}");
    }
    if let Some(team) = after("team ").and_then(|r| r.strip_suffix(" does not serve this commune")) {
        return format!("tổ số {team} không thuộc xã này");
    }
    if let Some(d) = before("is not a date") {
        return format!("{d} không phải ngày hợp lệ (dd/mm/yyyy)");
    }
    if message == "must be a number, zero or more" {
        return "phải là số, từ 0 trở lên".into();
    }
    if message == "must be a day between 2000 and 2100" {
        return "phải là một ngày từ năm 2000 đến năm 2100".into();
    }
    if let Some(id) = before("is not an installed report template") {
        return format!("{id} không phải mẫu báo cáo đã cài");
    }
    if message == "must be at most 1000000000000" {
        return "tối đa 1.000.000.000.000".into();
    }
    // The reporting workflow's refusals of a reason, a day, a period or a unit.
    match message {
        "say why the figures are returned" | "say why the report is returned" => {
            return "chưa nhập lý do trả lại".into();
        }
        "say why the form is opened again" => return "chưa nhập lý do mở lại".into(),
        "say why the nomination is declined" => return "chưa nhập lý do không nhận".into(),
        "at most 30 skills of at most 100 characters each" => {
            return "tối đa 30 kỹ năng, mỗi kỹ năng tối đa 100 ký tự".into();
        }
        "give their position in the group (at most 100 characters)" => {
            return "chưa nhập chức vụ trong tổ (tối đa 100 ký tự)".into();
        }
        "not a date (dd/mm/yyyy)" => return "không phải ngày hợp lệ (dd/mm/yyyy)".into(),
        // The management group's refusals (management.rs).
        "is before from_date" => return "trước ngày bắt đầu".into(),
        "give the last day" => return "chưa nhập ngày thôi tham gia".into(),
        "is before they joined" => return "trước ngày người này tham gia tổ quản lý".into(),
        "contains control characters" => return "có ký tự không hợp lệ".into(),
        _ => {}
    }
    // text::forbidden_reason, alone or after a file's "line N ".
    if let Some((before, rest)) = message.split_once("contains the ")
        && let Some(code) = rest.split("U+").nth(1).map(|r| r.split(',').next().unwrap_or(""))
    {
        let line = before.trim().strip_prefix("line ").map(|n| format!("dòng {n}: ")).unwrap_or_default();
        return format!("{line}có ký tự điều khiển hoặc ký tự định dạng ẩn (U+{code}), không được phép");
    }
    if let Some(n) = after("at most").and_then(|r| r.strip_suffix("characters")) {
        return format!("tối đa {} ký tự", n.trim());
    }
    if let Some(d) = before("is in the past") {
        return format!("{d} là ngày đã qua");
    }
    if let Some(rest) = after("at most 90 days ahead (") {
        return format!("tối đa 90 ngày kể từ hôm nay ({}", rest);
    }
    if let Some((period, from)) = message.split_once(" has not begun: figures can be entered from ") {
        return format!("kỳ {period} chưa bắt đầu: nhập số liệu từ ngày {from}");
    }
    if message.contains(" unit; ") && message.contains(" collects the figures of ")
        || message.contains(" is compiled above the ")
    {
        return "đơn vị này không báo cáo theo biểu mẫu này (biểu mẫu dành cho đơn vị cấp khác)".into();
    }
    if let Some((name, date)) = message
        .split_once("'s last day in the group is recorded already (")
        .and_then(|(n, r)| Some((n, r.strip_suffix(')')?)))
    {
        return format!("đã ghi ngày thôi tham gia tổ quản lý của {name} ({date})");
    }
    if let Some(rest) = after("a management group belongs to a district or a province; '")
        && let Some((code, level)) = rest.split_once("' is a ")
    {
        let level = t(Lang::Vi, &format!("level.{level}")).to_lowercase();
        return format!("tổ quản lý thuộc cấp huyện hoặc cấp tỉnh; đơn vị {code} là cấp {level}");
    }
    // A vocabulary refusal lists "Vietnamese label (stored word)", already readable.
    if let Some((value, accepted)) = message.split_once(" is not one of ") {
        return format!("{value} không thuộc các giá trị được chấp nhận: {accepted}");
    }
    if let Some(rest) = after("the team's unit '")
        && let Some((code, rest)) = rest.split_once("' closed on ")
    {
        let date = rest.split(';').next().unwrap_or("");
        return format!(
            "đơn vị của tổ ({code}) không còn từ {date} (sáp nhập hoặc chia tách); từ ngày đó tổ thuộc đơn vị kế thừa"
        );
    }
    message.to_string()
}

/// Whether the dictionary has `key`.
pub fn known(key: &str) -> bool {
    WORDS.iter().any(|(k, _, _)| *k == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reporting_workflows_refusals_read_in_vietnamese() {
        let vi = |m: &str| problem(Lang::Vi, m);
        assert_eq!(vi("say why the figures are returned"), "chưa nhập lý do trả lại");
        assert_eq!(vi("say why the form is opened again"), "chưa nhập lý do mở lại");
        assert_eq!(vi("01/01/2020 is in the past"), "01/01/2020 là ngày đã qua");
        assert_eq!(vi("at most 90 days ahead (31/12/2099)"), "tối đa 90 ngày kể từ hôm nay (31/12/2099)");
        assert_eq!(vi("at most 2000 characters"), "tối đa 2000 ký tự");
        assert_eq!(
            vi("2027-Q1 has not begun: figures can be entered from 01/01/2027"),
            "kỳ 2027-Q1 chưa bắt đầu: nhập số liệu từ ngày 01/01/2027"
        );
        assert!(
            vi("Thôn 1 is a village unit: x is compiled above the commune units that report on it")
                .starts_with("đơn vị này không báo cáo")
        );
    }

    #[test]
    fn the_management_groups_refusals_read_in_vietnamese() {
        let vi = |m: &str| problem(Lang::Vi, m);
        assert_eq!(vi("is before from_date"), "trước ngày bắt đầu");
        assert_eq!(vi("give the last day"), "chưa nhập ngày thôi tham gia");
        assert_eq!(vi("is before they joined"), "trước ngày người này tham gia tổ quản lý");
        assert_eq!(
            vi("Trần Văn Nam's last day in the group is recorded already (31/12/2022)"),
            "đã ghi ngày thôi tham gia tổ quản lý của Trần Văn Nam (31/12/2022)"
        );
        assert_eq!(
            vi("a management group belongs to a district or a province; '21835' is a commune"),
            "tổ quản lý thuộc cấp huyện hoặc cấp tỉnh; đơn vị 21835 là cấp xã"
        );
        assert_eq!(
            vi("give their position in the group (at most 100 characters)"),
            "chưa nhập chức vụ trong tổ (tối đa 100 ký tự)"
        );
    }

    #[test]
    fn every_entry_has_both_languages() {
        for (key, vi, en) in WORDS {
            assert!(!en.is_empty(), "{key} has no English");
            assert!(!vi.is_empty() || vocabulary_vi(key).is_some(), "{key} has no Vietnamese");
        }
        assert_eq!(t(Lang::Vi, "position.leader"), "Tổ trưởng");
        assert_eq!(t(Lang::En, "position.leader"), "Leader");
        assert_eq!(t(Lang::Vi, "role.district_culture"), "Phòng Văn hóa và Thông tin");
    }

    #[test]
    fn the_forms_validation_messages_read_in_vietnamese() {
        let vi = |m: &str| problem(Lang::Vi, m);
        assert_eq!(vi("is required"), "chưa nhập (bắt buộc)");
        assert_eq!(
            vi("is before a member joined the team on 2022-08-01"),
            "trước ngày có thành viên tham gia tổ (01/08/2022)"
        );
        assert_eq!(
            vi(
                "the team was dissolved on 2024-03-01; a dissolution is final: establish a new team under its own decision"
            ),
            "tổ đã giải thể ngày 01/03/2024; giải thể là chấm dứt hẳn: muốn hoạt động lại, thành lập tổ mới theo quyết định mới"
        );
        assert_eq!(
            vi("the team was dissolved on 2026-11-20"),
            "tổ đã giải thể ngày 20/11/2026: không thêm thành viên từ ngày đó"
        );
        assert_eq!(
            vi("the team was dissolved on 2026-11-20: give the day this member left, on or before it"),
            "tổ đã giải thể ngày 20/11/2026: nhập ngày thành viên rời tổ, không sau ngày đó"
        );
        assert_eq!(
            vi("is after a member joined the team on 2022-08-01"),
            "sau ngày có thành viên đầu tiên tham gia tổ (01/08/2022)"
        );
        let forbidden = crate::text::forbidden_reason('\u{202E}');
        assert_eq!(vi(&forbidden), "có ký tự điều khiển hoặc ký tự định dạng ẩn (U+202E), không được phép");
        assert_eq!(
            vi(&format!("line 3 {forbidden}")),
            "dòng 3: có ký tự điều khiển hoặc ký tự định dạng ẩn (U+202E), không được phép"
        );
        assert_eq!(vi("01/01/2030 is in the future"), "01/01/2030 là ngày trong tương lai");
        assert_eq!(
            vi("'31/02' is not a valid date (dd/mm/yyyy or yyyy-mm-dd)"),
            "'31/02' không phải ngày hợp lệ (dd/mm/yyyy)"
        );
        assert_eq!(
            vi("1850 is not a plausible year of birth (1900-2026)"),
            "năm sinh không hợp lý (từ 1900-2026)"
        );
        assert_eq!(
            vi("'09x' is not a Vietnamese phone number (0xxxxxxxxx or +84xxxxxxxxx)"),
            "'09x' không phải số điện thoại Việt Nam (0xxxxxxxxx hoặc +84xxxxxxxxx)"
        );
        assert_eq!(
            vi("is before the team was established (2022-06-15)"),
            "trước ngày thành lập tổ (15/06/2022)"
        );
        assert_eq!(vi("must be at most 100 characters"), "tối đa 100 ký tự");
        assert_eq!(
            vi("bao-cao-thang-xa@1.0.0 offers no composition rule"),
            "bao-cao-thang-xa@1.0.0 không có quy tắc loại thành phần tổ"
        );
        assert_eq!(vi("x@2.0.0 is not installed"), "x@2.0.0 chưa được cài");
        assert_eq!(
            vi("this person already serves on team 67 from 2022-06-15 (member 279)"),
            "người này đã là thành viên của tổ từ ngày 15/06/2022"
        );
        assert_eq!(
            vi("is before the team was established (2022-06-15)"),
            "trước ngày thành lập tổ (15/06/2022)"
        );
        assert_eq!(vi("'99/99/9999' is not a date"), "'99/99/9999' không phải ngày hợp lệ (dd/mm/yyyy)");
        assert_eq!(vi("must be a number, zero or more"), "phải là số, từ 0 trở lên");
        assert_eq!(
            vi("is required (Lãnh đạo UBND xã (commune_leadership), Công an xã (commune_police))"),
            "chưa chọn (bắt buộc: Lãnh đạo UBND xã, Công an xã)"
        );
        assert_eq!(
            vi("'CA' is not one of Công an xã (commune_police), Khác (other)"),
            "'CA' không thuộc các giá trị được chấp nhận: Công an xã, Khác"
        );
        assert_eq!(
            vi(
                "the team's unit '21808' closed on 01/01/2024; a team serves its unit's successor from that day"
            ),
            "đơn vị của tổ (21808) không còn từ 01/01/2024 (sáp nhập hoặc chia tách); từ ngày đó tổ thuộc đơn vị kế thừa"
        );
        assert_eq!(
            vi("is before a member left the team on 2022-12-15"),
            "trước ngày có thành viên rời tổ (15/12/2022): sửa ngày rời tổ của thành viên đó trước"
        );
        assert_eq!(
            vi(
                "this unit already has a team named 'Tổ CNS thôn 1' (team 7), dissolved on 2024-03-01: give the new \
                team a name of its own, or rename the old one first"
            ),
            "đơn vị đã có tổ tên “Tổ CNS thôn 1”, giải thể ngày 01/03/2024: đặt cho tổ mới một tên khác, hoặc đổi tên tổ cũ trước"
        );
        assert_eq!(
            vi("this unit already has a team named 'Tổ 1'"),
            "đơn vị đã có tổ tên “Tổ 1”: chọn tên khác"
        );
        assert_eq!(vi("say why the nomination is declined"), "chưa nhập lý do không nhận");
        assert_eq!(
            vi("at most 30 skills of at most 100 characters each"),
            "tối đa 30 kỹ năng, mỗi kỹ năng tối đa 100 ký tự"
        );
        assert_eq!(
            vi("give their position in the group (at most 100 characters)"),
            "chưa nhập chức vụ trong tổ (tối đa 100 ký tự)"
        );
        assert_eq!(vi("not a date (dd/mm/yyyy)"), "không phải ngày hợp lệ (dd/mm/yyyy)");
        assert_eq!(
            vi("must be a day from 01/01/2000 to 08/12/2027"),
            "phải là một ngày từ 01/01/2000 đến 08/12/2027"
        );
        assert_eq!(vi("team 999 does not exist"), "không có tổ số 999");
        assert_eq!(vi("team 12 does not serve this commune"), "tổ số 12 không thuộc xã này");
        assert_eq!(vi("something new"), "something new");
        assert_eq!(problem(Lang::En, "is required"), "is required");
    }
}
