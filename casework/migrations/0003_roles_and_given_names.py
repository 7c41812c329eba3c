"""Staff groups with their permissions, and the starting given-name equivalence table.

Only inserts what is missing: re-running never overwrites what staff edited.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CASEWORKER = {
    "case": ["view", "change"],
    "serviceman": ["view", "change"],
    "applicant": ["view", "change", "add"],
    "timelineentry": ["view", "add"],
    "team": ["view"],
    "exchange": ["view"],
}
COORDINATOR = {
    "case": ["view", "change", "add"],
    "serviceman": ["view", "change", "add"],
    "applicant": ["view", "change", "add", "delete"],
    "timelineentry": ["view", "add", "change"],
    "team": ["view", "change", "add"],
    "exchange": ["view", "change", "add"],
    "givennameequivalent": ["view", "change", "add", "delete"],
    "auditevent": ["view"],
}

GIVEN_NAMES = {
    "Aleksandr": ["Александр", "Олександр", "Aleksandr", "Alexander", "Oleksandr"],
    "Aleksei": ["Алексей", "Олексій", "Aleksei", "Alexey", "Oleksii", "Oleksiy"],
    "Anatolii": ["Анатолий", "Анатолій", "Anatoly", "Anatolii"],
    "Andrei": ["Андрей", "Андрій", "Andrei", "Andrey", "Andrii", "Andriy"],
    "Artem": ["Артём", "Артем", "Artem", "Artyom"],
    "Denis": ["Денис", "Denis", "Denys"],
    "Dmitrii": ["Дмитрий", "Дмитро", "Dmitry", "Dmitrii", "Dmytro"],
    "Evgenii": ["Евгений", "Євген", "Evgeny", "Yevgeny", "Yevhen", "Ievgen"],
    "Fedor": ["Фёдор", "Федір", "Fedor", "Fyodor", "Fedir"],
    "Georgii": ["Георгий", "Георгій", "Georgy", "Heorhii"],
    "Grigorii": ["Григорий", "Григорій", "Grigory", "Hryhorii"],
    "Igor": ["Игорь", "Ігор", "Igor", "Ihor"],
    "Ilia": ["Илья", "Ілля", "Ilya", "Illia"],
    "Ivan": ["Иван", "Іван", "Ivan"],
    "Kirill": ["Кирилл", "Кирило", "Kirill", "Kyrylo"],
    "Konstantin": ["Константин", "Костянтин", "Konstantin", "Kostiantyn"],
    "Leonid": ["Леонид", "Леонід", "Leonid"],
    "Maksim": ["Максим", "Maksim", "Maxim", "Maksym"],
    "Matvei": ["Матвей", "Матвій", "Matvey", "Matvii"],
    "Mikhail": ["Михаил", "Михайло", "Mikhail", "Mykhailo"],
    "Nikita": ["Никита", "Микита", "Nikita", "Mykyta"],
    "Nikolai": ["Николай", "Микола", "Nikolai", "Nikolay", "Mykola"],
    "Oleg": ["Олег", "Oleg", "Oleh"],
    "Pavel": ["Павел", "Павло", "Pavel", "Pavlo"],
    "Petr": ["Пётр", "Петро", "Petr", "Pyotr", "Petro"],
    "Roman": ["Роман", "Roman"],
    "Sergei": ["Сергей", "Сергій", "Sergei", "Sergey", "Serhii", "Serhiy"],
    "Stanislav": ["Станислав", "Станіслав", "Stanislav"],
    "Stepan": ["Степан", "Stepan"],
    "Timofei": ["Тимофей", "Тимофій", "Timofey", "Tymofii"],
    "Vadim": ["Вадим", "Vadim", "Vadym"],
    "Valerii": ["Валерий", "Валерій", "Valery", "Valerii"],
    "Vasilii": ["Василий", "Василь", "Vasily", "Vasyl"],
    "Viktor": ["Виктор", "Віктор", "Viktor", "Victor"],
    "Vitalii": ["Виталий", "Віталій", "Vitaly", "Vitalii"],
    "Vladimir": ["Владимир", "Володимир", "Vladimir", "Volodymyr"],
    "Vladislav": ["Владислав", "Vladislav", "Vladyslav"],
    "Iurii": ["Юрий", "Юрій", "Yury", "Yuri", "Yurii"],
}


def forwards(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in (("Caseworker", CASEWORKER), ("Coordinator", COORDINATOR)):
        group, created = Group.objects.get_or_create(name=name)
        if not created:
            continue  # staff may have adjusted its permissions; leave them alone
        codenames = [f"{action}_{model}" for model, actions in grants.items() for action in actions]
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="casework", codename__in=codenames)
        )
    Equivalent = apps.get_model("casework", "GivenNameEquivalent")
    existing = set(Equivalent.objects.values_list("spelling", flat=True))
    Equivalent.objects.bulk_create(
        Equivalent(group=group, spelling=spelling)
        for group, spellings in GIVEN_NAMES.items()
        for spelling in spellings
        if spelling not in existing
    )


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0002_domain_core"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
