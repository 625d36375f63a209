/**
 * NANP (+1) area codes → the state, province or territory they are assigned to, and the IANA zones
 * their numbers may be in.
 *
 * Source: NANPA's area-code assignments (nationalnanpa.com, "NPA database" / area-code maps, as of
 * 2025), written down by hand and cross-checked against the public dataset per4mnce/area-code
 * `src/data.js` (Apache-2.0, region and UTC offset per code; its fractional offsets mark codes that
 * span zones). Overlays opened after that dataset (e.g. FL 324/645/656/728, CA 350/369, CO 983)
 * are from NANPA's planning letters.
 *
 * Where an area code spans zones every zone is listed: a recipient is messaged only while the window
 * is open in all of them (e.g. 850, the Florida panhandle, is Central and Eastern). A mobile number
 * keeps its area code when its owner moves, so this is a presumption (Florida's statute makes the
 * same one), and a contact's `timezone` / `state` attributes override it.
 */
const ET = 'America/New_York';
const CT = 'America/Chicago';
const MT = 'America/Denver';
const AZ = 'America/Phoenix';
const PT = 'America/Los_Angeles';
const AK = 'America/Anchorage';
const HT = 'Pacific/Honolulu';

interface AreaCodeGroup {
  /** ISO 3166-1 alpha-2 of the country. */
  country: string;
  /** The state, province or territory code (USPS / Canada Post), or null for a whole country. */
  region: string | null;
  zones: string[];
  /** Area codes, space-separated. */
  codes: string;
  /** Codes of this group that span more zones than the group's own. */
  spanning?: Record<string, string[]>;
}

export const NANP_AREA_CODE_GROUPS: AreaCodeGroup[] = [
  // United States
  { country: 'US', region: 'AL', zones: [CT], codes: '205 251 256 334 659 938' },
  { country: 'US', region: 'AK', zones: [AK], codes: '907', spanning: { '907': [AK, 'America/Adak'] } },
  // Arizona keeps standard time all year, except the Navajo Nation (928), which follows Mountain DST.
  { country: 'US', region: 'AZ', zones: [AZ], codes: '480 520 602 623 928', spanning: { '928': [AZ, MT] } },
  { country: 'US', region: 'AR', zones: [CT], codes: '327 479 501 870' },
  {
    country: 'US',
    region: 'CA',
    zones: [PT],
    codes:
      '209 213 279 310 323 341 350 369 408 415 424 442 510 530 559 562 619 626 628 650 657 661 669 707 714 738 747 760 805 818 820 831 837 840 858 909 916 925 949 951',
  },
  { country: 'US', region: 'CO', zones: [MT], codes: '303 719 720 970 983' },
  { country: 'US', region: 'CT', zones: [ET], codes: '203 475 860 959' },
  { country: 'US', region: 'DE', zones: [ET], codes: '302' },
  { country: 'US', region: 'DC', zones: [ET], codes: '202 771' },
  {
    country: 'US',
    region: 'FL',
    zones: [ET],
    codes: '239 305 321 324 352 386 407 448 561 645 656 689 727 728 754 772 786 813 850 863 904 941 954',
    // The panhandle west of the Apalachicola River is on Central time.
    spanning: { '850': [ET, CT], '448': [ET, CT] },
  },
  { country: 'US', region: 'GA', zones: [ET], codes: '229 404 470 478 678 706 762 770 912 943' },
  { country: 'US', region: 'HI', zones: [HT], codes: '808' },
  // Southern Idaho is Mountain, the panhandle Pacific.
  { country: 'US', region: 'ID', zones: ['America/Boise', PT], codes: '208 986' },
  {
    country: 'US',
    region: 'IL',
    zones: [CT],
    codes: '217 224 309 312 331 447 464 618 630 708 730 773 779 815 847 861 872',
  },
  {
    country: 'US',
    region: 'IN',
    zones: [ET],
    codes: '219 260 317 463 574 765 812 930',
    // Northwest (Gary) and southwest (Evansville) Indiana are Central; 574 includes Starke County.
    spanning: { '219': [CT], '574': [ET, CT], '812': [ET, CT], '930': [ET, CT] },
  },
  { country: 'US', region: 'IA', zones: [CT], codes: '319 515 563 641 712' },
  // The western border counties (Sherman, Wallace, Greeley, Hamilton) are Mountain.
  { country: 'US', region: 'KS', zones: [CT], codes: '316 620 785 913', spanning: { '620': [CT, MT], '785': [CT, MT] } },
  {
    country: 'US',
    region: 'KY',
    zones: [ET],
    codes: '270 364 502 606 859',
    spanning: { '270': [CT, ET], '364': [CT, ET], '606': [ET, CT] },
  },
  { country: 'US', region: 'LA', zones: [CT], codes: '225 318 337 504 985' },
  { country: 'US', region: 'ME', zones: [ET], codes: '207' },
  { country: 'US', region: 'MD', zones: [ET], codes: '227 240 301 410 443 667' },
  { country: 'US', region: 'MA', zones: [ET], codes: '339 351 413 508 617 774 781 857 978' },
  {
    country: 'US',
    region: 'MI',
    zones: [ET],
    codes: '231 248 269 313 517 586 616 679 734 810 906 947 989',
    // Four Upper Peninsula counties bordering Wisconsin are Central.
    spanning: { '906': [ET, CT] },
  },
  { country: 'US', region: 'MN', zones: [CT], codes: '218 320 507 612 651 763 924 952' },
  { country: 'US', region: 'MS', zones: [CT], codes: '228 601 662 769' },
  { country: 'US', region: 'MO', zones: [CT], codes: '235 314 417 557 573 636 660 816 975' },
  { country: 'US', region: 'MT', zones: [MT], codes: '406' },
  { country: 'US', region: 'NE', zones: [CT], codes: '308 402 531', spanning: { '308': [CT, MT] } },
  // West Wendover (775) keeps Mountain time.
  { country: 'US', region: 'NV', zones: [PT], codes: '702 725 775', spanning: { '775': [PT, MT] } },
  { country: 'US', region: 'NH', zones: [ET], codes: '603' },
  { country: 'US', region: 'NJ', zones: [ET], codes: '201 551 609 640 732 848 856 862 908 973' },
  { country: 'US', region: 'NM', zones: [MT], codes: '505 575' },
  {
    country: 'US',
    region: 'NY',
    zones: [ET],
    codes: '212 315 329 332 347 363 516 518 585 607 624 631 646 680 716 718 838 845 914 917 929 934',
  },
  { country: 'US', region: 'NC', zones: [ET], codes: '252 336 472 704 743 828 910 919 980 984' },
  // The southwest of North Dakota is Mountain.
  { country: 'US', region: 'ND', zones: [CT, MT], codes: '701' },
  {
    country: 'US',
    region: 'OH',
    zones: [ET],
    codes: '216 220 234 283 326 330 380 419 436 440 513 567 614 740 937',
  },
  { country: 'US', region: 'OK', zones: [CT], codes: '405 539 572 580 918' },
  // Malheur County (541/458) is Mountain.
  { country: 'US', region: 'OR', zones: [PT], codes: '458 503 541 971', spanning: { '458': [PT, MT], '541': [PT, MT] } },
  {
    country: 'US',
    region: 'PA',
    zones: [ET],
    codes: '215 223 267 272 412 445 484 570 582 610 717 724 814 835 878',
  },
  { country: 'US', region: 'RI', zones: [ET], codes: '401' },
  { country: 'US', region: 'SC', zones: [ET], codes: '803 839 843 854 864' },
  { country: 'US', region: 'SD', zones: [CT, MT], codes: '605' },
  {
    country: 'US',
    region: 'TN',
    zones: [CT],
    codes: '423 615 629 731 865 901 931',
    spanning: { '423': [ET], '865': [ET] },
  },
  {
    country: 'US',
    region: 'TX',
    zones: [CT],
    codes: '210 214 254 281 325 346 361 409 430 432 469 512 682 713 726 737 806 817 830 832 903 915 936 940 945 956 972 979',
    // El Paso (915) is Mountain; Culberson County (432) keeps Mountain time unofficially.
    spanning: { '915': [MT], '432': [CT, MT] },
  },
  { country: 'US', region: 'UT', zones: [MT], codes: '385 435 801' },
  { country: 'US', region: 'VT', zones: [ET], codes: '802' },
  { country: 'US', region: 'VA', zones: [ET], codes: '276 434 540 571 686 703 757 804 826 948' },
  { country: 'US', region: 'WA', zones: [PT], codes: '206 253 360 425 509 564' },
  { country: 'US', region: 'WV', zones: [ET], codes: '304 681' },
  { country: 'US', region: 'WI', zones: [CT], codes: '262 274 353 414 534 608 715 920' },
  { country: 'US', region: 'WY', zones: [MT], codes: '307' },
  // US territories
  { country: 'US', region: 'PR', zones: ['America/Puerto_Rico'], codes: '787 939' },
  { country: 'US', region: 'VI', zones: ['America/St_Thomas'], codes: '340' },
  { country: 'US', region: 'GU', zones: ['Pacific/Guam'], codes: '671' },
  { country: 'US', region: 'MP', zones: ['Pacific/Saipan'], codes: '670' },
  { country: 'US', region: 'AS', zones: ['Pacific/Pago_Pago'], codes: '684' },
  // Canada
  // Northeast BC (Dawson Creek, Fort Nelson) keeps Mountain standard time all year; 604 is the Lower Mainland only.
  {
    country: 'CA',
    region: 'BC',
    zones: ['America/Vancouver', 'America/Dawson_Creek'],
    codes: '236 250 257 604 672 778',
    spanning: { '604': ['America/Vancouver'] },
  },
  { country: 'CA', region: 'AB', zones: ['America/Edmonton'], codes: '368 403 587 780 825' },
  { country: 'CA', region: 'SK', zones: ['America/Regina'], codes: '306 474 639' },
  { country: 'CA', region: 'MB', zones: ['America/Winnipeg'], codes: '204 431 584' },
  {
    country: 'CA',
    region: 'ON',
    zones: ['America/Toronto'],
    codes: '226 249 289 343 365 382 416 437 519 548 613 647 683 705 742 753 807 905 942',
    // Northwestern Ontario west of Thunder Bay (Kenora) is Central.
    spanning: { '807': ['America/Toronto', 'America/Winnipeg'] },
  },
  {
    country: 'CA',
    region: 'QC',
    zones: ['America/Toronto'],
    codes: '263 354 367 418 438 450 468 514 579 581 819 873',
    // The Magdalen Islands and the Lower North Shore keep Atlantic time.
    spanning: {
      '367': ['America/Toronto', 'America/Halifax'],
      '418': ['America/Toronto', 'America/Halifax'],
      '581': ['America/Toronto', 'America/Halifax'],
    },
  },
  { country: 'CA', region: 'NB', zones: ['America/Moncton'], codes: '428 506' },
  // 902 and 782 serve Prince Edward Island too (same zone).
  { country: 'CA', region: 'NS', zones: ['America/Halifax'], codes: '782 902' },
  { country: 'CA', region: 'NL', zones: ['America/St_Johns', 'America/Goose_Bay'], codes: '709 879' },
  {
    country: 'CA',
    region: null,
    zones: ['America/Whitehorse', 'America/Edmonton', 'America/Winnipeg', 'America/Toronto'],
    codes: '867',
  },
  // Other NANP countries, one zone each
  { country: 'BS', region: null, zones: ['America/Nassau'], codes: '242' },
  { country: 'BB', region: null, zones: ['America/Barbados'], codes: '246' },
  { country: 'AI', region: null, zones: ['America/Anguilla'], codes: '264' },
  { country: 'AG', region: null, zones: ['America/Antigua'], codes: '268' },
  { country: 'VG', region: null, zones: ['America/Tortola'], codes: '284' },
  { country: 'KY', region: null, zones: ['America/Cayman'], codes: '345' },
  { country: 'BM', region: null, zones: ['Atlantic/Bermuda'], codes: '441' },
  { country: 'GD', region: null, zones: ['America/Grenada'], codes: '473' },
  { country: 'TC', region: null, zones: ['America/Grand_Turk'], codes: '649' },
  { country: 'JM', region: null, zones: ['America/Jamaica'], codes: '658 876' },
  { country: 'MS', region: null, zones: ['America/Montserrat'], codes: '664' },
  { country: 'SX', region: null, zones: ['America/Lower_Princes'], codes: '721' },
  { country: 'LC', region: null, zones: ['America/St_Lucia'], codes: '758' },
  { country: 'DM', region: null, zones: ['America/Dominica'], codes: '767' },
  { country: 'VC', region: null, zones: ['America/St_Vincent'], codes: '784' },
  { country: 'DO', region: null, zones: ['America/Santo_Domingo'], codes: '809 829 849' },
  { country: 'TT', region: null, zones: ['America/Port_of_Spain'], codes: '868' },
  { country: 'KN', region: null, zones: ['America/St_Kitts'], codes: '869' },
];

/**
 * The zones of a +1 number whose area code is not in the table (a new overlay, a non-geographic
 * code): every mainland US and Canadian zone plus Alaska and Hawaii, so the window must be open in
 * all of them (with the default window, roughly 13:30–21:00 Eastern).
 */
export const NANP_FALLBACK_ZONES = ['America/St_Johns', 'America/Halifax', ET, CT, MT, AZ, PT, AK, HT];
