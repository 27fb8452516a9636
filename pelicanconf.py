"""Pelican settings for the Liangshai site (the data's own settings are in data/site.yaml)."""

SITENAME = "福州市住宅小区公共收益公示"
AUTHOR = "福州市住房保障和房产管理局"
SITEURL = ""
RELATIVE_URLS = True  # the output works under any path and from `invoke serve`

PATH = "content"
THEME = "theme"
PLUGIN_PATHS = ["plugins"]
PLUGINS = ["liangshai"]
LIANGSHAI_DATA = "data"  # relative to this file's folder
LIANGSHAI_STRICT = False

TIMEZONE = "Asia/Shanghai"
DEFAULT_LANG = "zh-CN"
DEFAULT_DATE_FORMAT = "%Y年%m月%d日"
DEFAULT_PAGINATION = False

# The 点题整治 column is Pelican's article index, moved from / to /column/.
INDEX_SAVE_AS = "column/index.html"
INDEX_URL = "column/"
ARTICLE_URL = "column/{slug}/"
ARTICLE_SAVE_AS = "column/{slug}/index.html"
CATEGORY_URL = "column/category/{slug}/"
CATEGORY_SAVE_AS = "column/category/{slug}/index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
DIRECT_TEMPLATES = ["index"]
TAG_SAVE_AS = AUTHOR_SAVE_AS = ""
ARCHIVES_SAVE_AS = AUTHORS_SAVE_AS = TAGS_SAVE_AS = CATEGORIES_SAVE_AS = ""
SLUGIFY_SOURCE = "basename"
# Category URLs in ASCII without spaces (Pelican transliterates the name first: 典型案例 →
# "Dian Xing An Li"). The first release published "dian xing an li/"; those still redirect.
CATEGORY_REGEX_SUBSTITUTIONS = [
    (r"^\s*Dian Xing An Li\s*$", "cases"),
    (r"^\s*Tong Zhi Gong Gao\s*$", "notices"),
    (r"^\s*Gong Zuo Jin Zhan\s*$", "progress"),
    (r"[^\w\s-]", ""),  # then Pelican's own rules, for any other category
    (r"(?u)\A\s*", ""),
    (r"(?u)\s*\Z", ""),
    (r"[-\s]+", "-"),
]

# The column's feed (column/feed.xml) is written by the plugin, with absolute links from
# site_url in data/site.yaml; Pelican's own feeds would carry the relative links of the pages.
FEED_ALL_ATOM = FEED_ALL_RSS = CATEGORY_FEED_ATOM = TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = AUTHOR_FEED_RSS = None

STATIC_PATHS = []
THEME_STATIC_DIR = "theme"
CACHE_CONTENT = False
